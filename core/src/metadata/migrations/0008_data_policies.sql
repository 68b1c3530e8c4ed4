-- 0008: data policies. Row policies limit which rows of the warehouse a member's queries read;
-- classifications and clearances decide which dimensions and metrics they may see. Both are
-- applied where metric queries are compiled (warehouse/src/policy), so every surface honours them.

-- A row policy allows one dimension's values to the members it applies to: one role, every role
-- but admin ('non_admin'), or one user. The values are a fixed list or come from the member's
-- attribute (workspace_members.attributes ->> from_attribute). Dimension names are checked by the
-- application against the warehouse's sources (a CHECK cannot see them).
CREATE TABLE row_policies (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  applies_to text NOT NULL CHECK (applies_to IN ('role', 'non_admin', 'user')),
  role text,
  user_id uuid REFERENCES users (id) ON DELETE CASCADE,
  dimension text NOT NULL CHECK (dimension ~ '^[a-z][a-z0-9_]*$'),
  allowed_values text[],
  from_attribute text CHECK (from_attribute ~ '^[a-z][a-z0-9_]*$'),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  -- Admins are never restricted (they could edit the policy anyway), so no policy names them.
  CHECK ((applies_to = 'role') = (role IS NOT NULL) AND role IS DISTINCT FROM 'admin'),
  CHECK ((applies_to = 'user') = (user_id IS NOT NULL)),
  CHECK ((allowed_values IS NULL) <> (from_attribute IS NULL))
);
CREATE INDEX row_policies_workspace ON row_policies (workspace_id);

-- Per-workspace overrides of the classification a dimension or metric carries by default
-- (defaults live with the sources in warehouse/src/metrics/sources.ts and the metric YAML).
CREATE TABLE data_classifications (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('dimension', 'metric')),
  name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]*$'),
  classification text NOT NULL CHECK (classification IN ('public', 'internal', 'confidential', 'restricted')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, kind, name)
);

-- The highest classification a custom role may see; built-in roles have fixed clearances and a
-- custom role without a row here gets 'internal' (the viewer's), failing towards less.
CREATE TABLE role_clearances (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role NOT IN ('viewer', 'analyst', 'editor', 'admin')),
  clearance text NOT NULL CHECK (clearance IN ('public', 'internal', 'confidential', 'restricted')),
  PRIMARY KEY (workspace_id, role)
);
