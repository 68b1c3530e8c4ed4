-- 0005: data-subject requests (erasure and access) and encrypted connector credentials.

-- The privacy request ledger: one row per erasure or access request, kept after the data is gone
-- so an auditor can see who asked, for whom, what was removed from which table, and when.
-- workspace_id is text without a foreign key (like audit_log): the proof of an erasure must
-- outlive the workspace. The subject (a user id or an e-mail) is kept because `pulse privacy
-- verify` re-runs the zero-rows check for it later (after a replay from the bus, for instance).
CREATE TABLE privacy_requests (
  id uuid PRIMARY KEY,
  workspace_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('erasure', 'access')),
  subject_type text NOT NULL CHECK (subject_type IN ('user_id', 'email')),
  subject text NOT NULL,
  requested_by text NOT NULL,                          -- user id, API key id, or 'cli'
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  table_counts jsonb NOT NULL DEFAULT '{}',            -- {"product_events": 12, …}: rows removed or exported per table
  rebuilt jsonb NOT NULL DEFAULT '{}',                 -- erasure: rollup -> UTC days rebuilt, re-checked by verify
  error text,                                          -- why a failed request failed (no personal data)
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  completed_at timestamptz,
  verified_at timestamptz,                             -- last time the zero-rows check held
  verification jsonb                                   -- rows found per table by that check
);
CREATE INDEX privacy_requests_workspace ON privacy_requests (workspace_id, created_at, id);

-- The JSON-lines file of an access request, gzip-compressed. In the metadata store rather than on
-- a local disk so any web process of a scaled-out install can serve the download.
CREATE TABLE privacy_exports (
  request_id uuid PRIMARY KEY REFERENCES privacy_requests (id) ON DELETE CASCADE,
  content_gzip bytea NOT NULL,
  rows integer NOT NULL,
  bytes integer NOT NULL,                              -- uncompressed size
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);

-- Connector credentials (OAuth tokens, API keys of social platforms and CRMs), sealed with
-- AES-256-GCM under a key derived from PULSE_SECRET_KEY. key_id names the key that sealed the row
-- (a hash of the derived key, never the key), so `pulse secrets rotate` finds the rows still under
-- a previous key and opening a row never has to guess.
CREATE TABLE connector_credentials (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  source_id uuid REFERENCES sources (id) ON DELETE CASCADE,
  name text NOT NULL,
  sealed text NOT NULL,                                -- v1.<iv>.<tag>.<ciphertext>, see core/src/auth/secret-box.ts
  key_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  UNIQUE (workspace_id, name)
);
CREATE INDEX connector_credentials_key ON connector_credentials (key_id);
