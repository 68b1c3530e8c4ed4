-- 0003: local accounts — password sign-in with lockout, sessions, setup links and TOTP MFA.
-- Secrets handed to a person (session ids, setup tokens, recovery codes) are stored only as
-- SHA-256/HMAC digests: they are long random strings, so a slow hash adds nothing, and a leaked
-- table cannot be replayed.

-- A workspace admin can demand a second factor from every member.
ALTER TABLE workspaces ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;

-- is_admin: administers the whole instance (the first-start admin), unlike a workspace 'admin' role.
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;

-- Failed sign-ins, keyed by the lower-cased e-mail rather than the user id, so an address with
-- no account is throttled and locked exactly like a real one and the answers don't reveal which
-- addresses exist. A row with no lock and an old window is noise and may be deleted at any time.
CREATE TABLE login_throttle (
  email_key text PRIMARY KEY,                          -- lower(trim(email))
  failures integer NOT NULL DEFAULT 0,                 -- in the window that began at window_started_at
  window_started_at timestamptz,
  lockouts integer NOT NULL DEFAULT 0,                 -- consecutive lockouts: the next one lasts 2^lockouts minutes
  locked_until timestamptz,
  last_failure_at timestamptz
);

-- Every failed attempt, to throttle one source address that tries many accounts (credential
-- stuffing), which the per-account lockout cannot see.
CREATE TABLE login_failures (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_ip text NOT NULL,                             -- text, not inet: proxies hand us odd strings
  email_key text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX login_failures_ip_at ON login_failures (source_ip, at);

CREATE TABLE sessions (
  id_hash text PRIMARY KEY,                            -- hex SHA-256 of the 32-byte id in the cookie
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,                   -- idle timeout counts from here
  absolute_expires_at timestamptz NOT NULL,            -- kept across rotation: re-login is forced at this time
  mfa_pending boolean NOT NULL DEFAULT false,          -- password accepted, second factor not yet
  source_ip text,
  user_agent text,
  revoked_at timestamptz,
  revoked_reason text                                  -- logout, rotated, logout_everywhere, password_changed
);
-- "Log out everywhere" and the session list in the profile page.
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- One-time links to set a password: first-start admin, invitations, resets.
CREATE TABLE setup_tokens (
  token_hash text PRIMARY KEY,                         -- hex SHA-256 of the token in the link
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX setup_tokens_user ON setup_tokens (user_id);

-- The TOTP secret must be readable to check a code, so it cannot be hashed: it is sealed with
-- AES-256-GCM under a key derived from the server secret (auth/secret-box.ts), so a database
-- dump alone does not yield working second factors.
CREATE TABLE mfa (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_sealed text NOT NULL,
  created_at timestamptz NOT NULL,
  confirmed_at timestamptz,                            -- NULL while enrolment is unfinished: not yet required at login
  last_used_step bigint                                -- RFC 6238 time step of the last accepted code: replay guard
);

CREATE TABLE mfa_recovery_codes (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,                             -- hex HMAC-SHA256 under the server key: 60-bit codes need a pepper
  used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);
