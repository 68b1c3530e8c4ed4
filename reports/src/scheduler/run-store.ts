import { randomUUID } from 'node:crypto';
import { PulseError, type SqlDriver } from '@pulse/core';
import type { RecipientChannel } from '../definitions/recipients.ts';

export type RunStatus = 'pending' | 'running' | 'retrying' | 'succeeded' | 'failed';

/** A rendered file of a run, kept in the downloads area under `path`. */
export interface RunFile {
  format: string;
  name: string;
  path: string;
  bytes: number;
  contentType: string;
}

export interface ReportRun {
  id: string;
  workspaceId: string;
  scheduleId: string | null;
  reportId: string | null;
  trigger: 'schedule' | 'manual';
  scheduledFor: Date;
  status: RunStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  sizeBytes: number | null;
  error: string | null;
  files: RunFile[];
}

export interface DeliveryRecord {
  recipientKey: string;
  channel: RecipientChannel;
  status: 'sending' | 'sent' | 'failed';
  attempts: number;
  error: string | null;
  sentAt: Date | null;
}

type Row = Record<string, unknown>;
const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
const toRun = (r: Row): ReportRun => ({
  id: r.id as string,
  workspaceId: r.workspace_id as string,
  scheduleId: (r.schedule_id as string | null) ?? null,
  reportId: (r.report_id as string | null) ?? null,
  trigger: r.trigger as ReportRun['trigger'],
  scheduledFor: date(r.scheduled_for)!,
  status: r.status as RunStatus,
  attempts: r.attempts as number,
  nextAttemptAt: date(r.next_attempt_at),
  startedAt: date(r.started_at),
  finishedAt: date(r.finished_at),
  durationMs: (r.duration_ms as number | null) ?? null,
  sizeBytes: r.size_bytes === null || r.size_bytes === undefined ? null : Number(r.size_bytes),
  error: (r.error as string | null) ?? null,
  files: (typeof r.files === 'string' ? JSON.parse(r.files) : r.files) as RunFile[],
});
const toDelivery = (r: Row): DeliveryRecord => ({
  recipientKey: r.recipient_key as string,
  channel: r.channel as RecipientChannel,
  status: r.status as DeliveryRecord['status'],
  attempts: r.attempts as number,
  error: (r.error as string | null) ?? null,
  sentAt: date(r.sent_at),
});

/** The idempotent id of a scheduled run: the same schedule and instant always give the same id. */
export const scheduledRunId = (scheduleId: string, scheduledFor: Date) =>
  `${scheduleId}@${scheduledFor.toISOString()}`;

/** Runs: these are still open (a claim that expired means its process died mid-run). */
const OPEN = `((status IN ('pending', 'retrying') AND (next_attempt_at IS NULL OR next_attempt_at <= $1))
  OR (status = 'running' AND claim_expires_at <= $1))`;

/** Run history, per-recipient delivery records and the scheduler's leader lease. */
export function runStore(db: SqlDriver) {
  return {
    /**
     * Records the run a schedule owes at `scheduledFor` and moves the schedule on to `nextRunAt`,
     * in one transaction. The insert does nothing when the run exists already, and the schedule
     * moves only from the instant this caller saw, so a second process changes nothing.
     */
    async enqueueScheduled(
      schedule: { id: string; workspaceId: string; reportId: string },
      scheduledFor: Date,
      nextRunAt: Date | null,
    ): Promise<boolean> {
      return db.transaction(async (tx) => {
        const inserted = await tx.query(
          `INSERT INTO report_runs (id, workspace_id, schedule_id, report_id, trigger, scheduled_for, next_attempt_at)
           VALUES ($1, $2, $3, $4, 'schedule', $5, $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [
            scheduledRunId(schedule.id, scheduledFor),
            schedule.workspaceId,
            schedule.id,
            schedule.reportId,
            scheduledFor.toISOString(),
          ],
        );
        await tx.query('UPDATE schedules SET next_run_at = $3 WHERE id = $1 AND next_run_at = $2', [
          schedule.id,
          scheduledFor.toISOString(),
          nextRunAt?.toISOString() ?? null,
        ]);
        return inserted.length === 1;
      });
    },
    /** A "send now" run: its own id, due at once. */
    async enqueueManual(
      schedule: { id: string; workspaceId: string; reportId: string },
      now: Date,
    ): Promise<ReportRun> {
      const [row] = await db.query<Row>(
        `INSERT INTO report_runs (id, workspace_id, schedule_id, report_id, trigger, scheduled_for, next_attempt_at)
         VALUES ($1, $2, $3, $4, 'manual', $5, $5) RETURNING *`,
        [`manual:${randomUUID()}`, schedule.workspaceId, schedule.id, schedule.reportId, now.toISOString()],
      );
      return toRun(row!);
    },
    /**
     * Takes open runs for `holder` until `claimUntil`. The open conditions are checked again on
     * the row being updated, so two callers never hold one run.
     */
    async claim(
      now: Date,
      holder: string,
      claimUntil: Date,
      options: { runId?: string; limit?: number } = {},
    ): Promise<ReportRun[]> {
      const rows = await db.query<Row>(
        `UPDATE report_runs SET status = 'running', claimed_by = $2, claim_expires_at = $3,
           attempts = attempts + 1, started_at = COALESCE(started_at, $1)
         WHERE ${OPEN} AND id IN (
           SELECT id FROM report_runs WHERE ${OPEN} AND ($4::text IS NULL OR id = $4)
           ORDER BY scheduled_for, id LIMIT $5)
         RETURNING *`,
        [now.toISOString(), holder, claimUntil.toISOString(), options.runId ?? null, options.limit ?? 10],
      );
      return rows.map(toRun);
    },
    async saveFiles(runId: string, files: RunFile[]): Promise<void> {
      await db.query('UPDATE report_runs SET files = $2, size_bytes = $3 WHERE id = $1', [
        runId,
        JSON.stringify(files),
        files.reduce((sum, f) => sum + f.bytes, 0),
      ]);
    },
    async finish(
      runId: string,
      outcome:
        | { status: 'succeeded'; at: Date; durationMs: number }
        | { status: 'failed'; at: Date; durationMs: number; error: string }
        | { status: 'retrying'; at: Date; durationMs: number; error: string; nextAttemptAt: Date },
    ): Promise<void> {
      await db.query(
        `UPDATE report_runs SET status = $2, finished_at = $3, duration_ms = $4, error = $5, next_attempt_at = $6,
           claimed_by = NULL, claim_expires_at = NULL WHERE id = $1`,
        [
          runId,
          outcome.status,
          outcome.status === 'retrying' ? null : outcome.at.toISOString(),
          Math.round(outcome.durationMs),
          'error' in outcome ? outcome.error : null,
          outcome.status === 'retrying' ? outcome.nextAttemptAt.toISOString() : null,
        ],
      );
    },
    async get(workspaceId: string, runId: string): Promise<ReportRun> {
      const [row] = await db.query<Row>('SELECT * FROM report_runs WHERE id = $1 AND workspace_id = $2', [
        runId,
        workspaceId,
      ]);
      if (!row)
        throw new PulseError('REPORT_RUN_NOT_FOUND', `report run ${runId} does not exist in this workspace`, {
          hint: 'GET /api/v1/report-runs lists the workspace’s runs.',
        });
      return toRun(row);
    },
    /** Newest first; `offset` skips that many for "load older runs" (history pages are shallow). */
    async list(
      workspaceId: string,
      filter: { scheduleId?: string | undefined; limit?: number; offset?: number } = {},
    ): Promise<ReportRun[]> {
      const rows = await db.query<Row>(
        `SELECT * FROM report_runs WHERE workspace_id = $1 AND ($2::uuid IS NULL OR schedule_id = $2)
         ORDER BY scheduled_for DESC, created_at DESC, id DESC LIMIT $3 OFFSET $4`,
        [workspaceId, filter.scheduleId ?? null, filter.limit ?? 50, filter.offset ?? 0],
      );
      return rows.map(toRun);
    },
    async deliveries(runId: string): Promise<DeliveryRecord[]> {
      const rows = await db.query<Row>(
        'SELECT * FROM report_deliveries WHERE run_id = $1 ORDER BY recipient_key',
        [runId],
      );
      return rows.map(toDelivery);
    },
    /**
     * Marks a recipient as being sent to, unless it was sent already: false means "skip it".
     * A 'sending' record left by a crash is sent again with the same idempotency key.
     */
    async beginDelivery(runId: string, recipientKey: string, channel: RecipientChannel): Promise<boolean> {
      const rows = await db.query(
        `INSERT INTO report_deliveries (run_id, recipient_key, channel, status) VALUES ($1, $2, $3, 'sending')
         ON CONFLICT (run_id, recipient_key) DO UPDATE SET status = 'sending', error = NULL,
           attempts = report_deliveries.attempts + 1, updated_at = now()
         WHERE report_deliveries.status <> 'sent' RETURNING run_id`,
        [runId, recipientKey, channel],
      );
      return rows.length === 1;
    },
    async endDelivery(
      runId: string,
      recipientKey: string,
      outcome: { sent: true; at: Date } | { sent: false; error: string },
    ): Promise<void> {
      await db.query(
        `UPDATE report_deliveries SET status = $3, sent_at = $4, error = $5, updated_at = now()
         WHERE run_id = $1 AND recipient_key = $2`,
        [
          runId,
          recipientKey,
          outcome.sent ? 'sent' : 'failed',
          outcome.sent ? outcome.at.toISOString() : null,
          outcome.sent ? null : outcome.error,
        ],
      );
    },
    /**
     * Takes or renews the leader lease. Succeeds for the current holder, or for anyone once the
     * lease expired; a single conditional UPDATE, so exactly one of several callers wins.
     */
    async acquireLease(holder: string, now: Date, until: Date): Promise<boolean> {
      const rows = await db.query(
        `UPDATE scheduler_leases SET holder = $1, expires_at = $3
         WHERE name = 'reports' AND (holder = $1 OR expires_at <= $2) RETURNING holder`,
        [holder, now.toISOString(), until.toISOString()],
      );
      return rows.length === 1;
    },
    async releaseLease(holder: string): Promise<void> {
      await db.query(
        `UPDATE scheduler_leases SET expires_at = 'epoch' WHERE name = 'reports' AND holder = $1`,
        [holder],
      );
    },
  };
}

export type RunStore = ReturnType<typeof runStore>;
