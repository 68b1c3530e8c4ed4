import { randomUUID } from 'node:crypto';
import type { SqlDriver } from '../sql-driver.ts';
import { iso, translateConflict } from './conflict.ts';

export interface Schedule {
  id: string;
  workspaceId: string;
  reportId: string;
  cron: string;
  timezone: string;
  formats: string[];
  recipients: unknown[];
  enabled: boolean;
  nextRunAt: string | null;
  createdAt: string;
}
type Row = {
  id: string;
  workspace_id: string;
  report_id: string;
  cron: string;
  timezone: string;
  formats: string[];
  recipients: unknown;
  enabled: boolean;
  next_run_at: unknown;
  created_at: unknown;
};
const toSchedule = (r: Row): Schedule => ({
  id: r.id,
  workspaceId: r.workspace_id,
  reportId: r.report_id,
  cron: r.cron,
  timezone: r.timezone,
  formats: r.formats,
  recipients: (typeof r.recipients === 'string' ? JSON.parse(r.recipients) : r.recipients) as unknown[],
  enabled: r.enabled,
  nextRunAt: r.next_run_at ? iso(r.next_run_at) : null,
  createdAt: iso(r.created_at),
});

export function schedulesRepository(db: SqlDriver) {
  return {
    async create(input: {
      workspaceId: string;
      reportId: string;
      cron: string;
      timezone?: string;
      formats: string[];
      recipients?: unknown[];
      nextRunAt?: Date;
    }): Promise<Schedule> {
      const rows = await translateConflict('schedule', 'Check that the report exists.', () =>
        db.query<Row>(
          'INSERT INTO schedules (id, workspace_id, report_id, cron, timezone, formats, recipients, next_run_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *',
          [
            randomUUID(),
            input.workspaceId,
            input.reportId,
            input.cron,
            input.timezone ?? 'UTC',
            input.formats,
            JSON.stringify(input.recipients ?? []),
            input.nextRunAt?.toISOString() ?? null,
          ],
        ),
      );
      return toSchedule(rows[0]!);
    },
    async list(workspaceId: string): Promise<Schedule[]> {
      return (
        await db.query<Row>('SELECT * FROM schedules WHERE workspace_id = $1 ORDER BY created_at, id', [
          workspaceId,
        ])
      ).map(toSchedule);
    },
    /** Enabled schedules whose next run is at or before `now`. */
    async due(now: Date): Promise<Schedule[]> {
      return (
        await db.query<Row>(
          'SELECT * FROM schedules WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at',
          [now.toISOString()],
        )
      ).map(toSchedule);
    },
    async setEnabled(id: string, enabled: boolean): Promise<void> {
      await db.query('UPDATE schedules SET enabled = $2, updated_at = now() WHERE id = $1', [id, enabled]);
    },
    async delete(id: string): Promise<boolean> {
      return (await db.query('DELETE FROM schedules WHERE id = $1 RETURNING id', [id])).length === 1;
    },
  };
}
