-- 0009: ad-hoc export jobs. Kept so a restart keeps each user's list of exports and the finished
-- files (under <data dir>/exports, named <id>.<extension>) until they expire; a job that was
-- queued or running when the process stopped is marked failed at the next start.

-- workspace_id and user_id are not foreign keys: a principal's ids are checked when the job is
-- started, and a job outlives neither (the sweep at start deletes expired jobs and their files).
CREATE TABLE export_jobs (
  id uuid PRIMARY KEY,
  workspace_id text NOT NULL,
  user_id text NOT NULL,
  title text NOT NULL,
  format text NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf', 'arrow', 'parquet')),
  state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  file_name text NOT NULL,
  content_type text NOT NULL,
  rows_written bigint NOT NULL DEFAULT 0,
  bytes_written bigint NOT NULL DEFAULT 0,
  total_rows bigint,
  -- { code, message, hint? } as the API shows it.
  error jsonb,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  expires_at timestamptz
);
-- A user's exports, newest first (the list the UI pages through).
CREATE INDEX export_jobs_owner ON export_jobs (workspace_id, user_id, created_at DESC, id DESC);
