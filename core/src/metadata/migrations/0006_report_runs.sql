-- 0006: scheduled reports — what a schedule sends, every run it made, every delivery of each run,
-- and the lease that makes one scheduler process the leader.

-- A schedule names its own relative time range ("last full week"), so one saved report can go
-- out weekly to executives and month-to-date to finance. NULL means the report's own range.
ALTER TABLE schedules ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN time_range jsonb;
ALTER TABLE schedules ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;

-- The id is the idempotency key: "<schedule id>@<scheduled instant>" for scheduled runs, so two
-- schedulers (or one restarted after a crash) that both see a run due insert it only once;
-- "manual:<uuid>" for "send now". Receivers get it as Message-ID / Idempotency-Key.
CREATE TABLE report_runs (
  id text PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  schedule_id uuid REFERENCES schedules (id) ON DELETE SET NULL,
  report_id uuid REFERENCES saved_reports (id) ON DELETE SET NULL,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  scheduled_for timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'retrying', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  -- Who works on it and until when: a run whose claim expired belongs to a process that died.
  claimed_by text,
  claim_expires_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms integer,
  size_bytes bigint,
  error text,
  -- The rendered files (format, name, bytes), kept so a retry sends the very same files.
  files jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);
-- The scheduler's second question every tick: which runs still need work?
CREATE INDEX report_runs_open ON report_runs (next_attempt_at) WHERE status IN ('pending', 'running', 'retrying');
-- Run history, newest first, per schedule.
CREATE INDEX report_runs_schedule ON report_runs (schedule_id, scheduled_for DESC);

-- One row per run and recipient, written as 'sending' before the send and 'sent' after it: a
-- restarted run skips every 'sent' recipient, so nobody receives the same run twice.
CREATE TABLE report_deliveries (
  run_id text NOT NULL REFERENCES report_runs (id) ON DELETE CASCADE,
  recipient_key text NOT NULL,                         -- "email:ada@example.com", "slack:<url hash>"
  channel text NOT NULL CHECK (channel IN ('email', 'slack', 'teams', 'webhook')),
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 1,
  error text,
  sent_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  PRIMARY KEY (run_id, recipient_key)
);

-- Leader election without advisory locks (PGlite has one connection): a holder keeps the lease
-- by renewing it before it expires; anyone may take an expired one with a conditional UPDATE.
CREATE TABLE scheduler_leases (
  name text PRIMARY KEY,
  holder text NOT NULL DEFAULT '',
  expires_at timestamptz NOT NULL DEFAULT 'epoch'
);
INSERT INTO scheduler_leases (name) VALUES ('reports');
