-- 0004: custom roles, member attributes for row policies, API keys and service accounts, and
-- identities from single sign-on.

-- A member's role is a built-in role (viewer, analyst, editor, admin) or the name of a custom role
-- of the same workspace; the application checks which (a CHECK cannot look up another table).
ALTER TABLE workspace_members DROP CONSTRAINT IF EXISTS workspace_members_role_check;
-- Attributes that row policies match on: {"region": "emea", "team": "sales", "platform": "linkedin"}.
ALTER TABLE workspace_members ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';

CREATE TABLE custom_roles (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'
    AND name NOT IN ('viewer', 'analyst', 'editor', 'admin')),
  description text NOT NULL DEFAULT '',
  permissions text[] NOT NULL,                         -- names from core/src/rbac/permissions.ts
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);

-- Service accounts are users that cannot sign in: they own API keys and appear in the audit log.
ALTER TABLE users ADD COLUMN kind text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'service'));

-- API keys: shown once, stored as a SHA-256 hash (32 random bytes: a slow hash adds nothing and
-- every API request looks one up). A key acts in one workspace with a role; write keys for the
-- collector stay in write_keys (scoped to one source).
CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,  -- the service account (or person) it acts as
  name text NOT NULL,
  role text NOT NULL,                                  -- built-in or custom role name
  key_hash text NOT NULL UNIQUE,
  key_prefix text NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id) WHERE revoked_at IS NULL;

-- Single sign-on: an identity is the issuer's subject, never the e-mail (which can change hands).
CREATE TABLE user_identities (
  issuer text NOT NULL,
  subject text NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email text,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  last_login_at timestamptz,
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
