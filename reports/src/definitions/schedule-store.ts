import { randomUUID } from 'node:crypto';
import { PulseError, type SqlDriver } from '@pulse/core';
import { z } from 'zod';
import { type Recipient, recipientSchema } from './recipients.ts';
import type { RelativeTimeRange } from './report-definition.ts';
import {
  nextOccurrence,
  parseScheduleDefinition,
  type ScheduleDefinition,
  type ScheduleFormat,
} from './schedule-definition.ts';

export interface StoredSchedule {
  id: string;
  workspaceId: string;
  reportId: string;
  name: string;
  cron: string;
  timezone: string;
  timeRange: RelativeTimeRange | null;
  formats: ScheduleFormat[];
  recipients: Recipient[];
  enabled: boolean;
  /** The instant of the next run; null when disabled. */
  nextRunAt: Date | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

type Row = {
  id: string;
  workspace_id: string;
  report_id: string;
  name: string;
  cron: string;
  timezone: string;
  time_range: unknown;
  formats: string[];
  recipients: unknown;
  enabled: boolean;
  next_run_at: unknown;
  created_by: string | null;
  created_at: unknown;
  updated_at: unknown;
};

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const toSchedule = (r: Row): StoredSchedule => ({
  id: r.id,
  workspaceId: r.workspace_id,
  reportId: r.report_id,
  name: r.name,
  cron: r.cron,
  timezone: r.timezone,
  timeRange: (json(r.time_range) as RelativeTimeRange | null) ?? null,
  formats: r.formats as ScheduleFormat[],
  recipients: z.array(recipientSchema).parse(json(r.recipients)),
  enabled: r.enabled,
  nextRunAt: r.next_run_at ? new Date(r.next_run_at as string) : null,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at as string).toISOString(),
  updatedAt: new Date(r.updated_at as string).toISOString(),
});

/**
 * Report schedules in the metadata store (the `schedules` table of 0001 with the columns 0006
 * adds). Every read is scoped to a workspace, so one workspace never sees another's schedules.
 */
export function scheduleStore(db: SqlDriver) {
  const nextRun = (d: ScheduleDefinition, now: Date) =>
    d.enabled ? (nextOccurrence(d.cron, d.timezone, now)?.toISOString() ?? null) : null;
  const store = {
    async create(
      workspaceId: string,
      definition: ScheduleDefinition,
      options: { now: Date; createdBy?: string | null },
    ): Promise<StoredSchedule> {
      await assertReportInWorkspace(db, definition.reportId, workspaceId);
      const [row] = await db.query<Row>(
        `INSERT INTO schedules (id, workspace_id, report_id, name, cron, timezone, time_range, formats, recipients, enabled, next_run_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
        [
          randomUUID(),
          workspaceId,
          definition.reportId,
          definition.name,
          definition.cron,
          definition.timezone,
          definition.timeRange ? JSON.stringify(definition.timeRange) : null,
          definition.formats,
          JSON.stringify(definition.recipients),
          definition.enabled,
          nextRun(definition, options.now),
          options.createdBy ?? null,
        ],
      );
      return toSchedule(row!);
    },
    async get(workspaceId: string, id: string): Promise<StoredSchedule> {
      const [row] = z.uuid().safeParse(id).success
        ? await db.query<Row>('SELECT * FROM schedules WHERE id = $1 AND workspace_id = $2', [
            id,
            workspaceId,
          ])
        : [];
      if (!row)
        throw new PulseError('SCHEDULE_NOT_FOUND', `schedule ${id} does not exist in this workspace`, {
          hint: 'GET /api/v1/report-schedules lists the workspace’s schedules.',
        });
      return toSchedule(row);
    },
    async list(workspaceId: string): Promise<StoredSchedule[]> {
      const rows = await db.query<Row>(
        'SELECT * FROM schedules WHERE workspace_id = $1 ORDER BY created_at, id',
        [workspaceId],
      );
      return rows.map(toSchedule);
    },
    /** Replaces the definition; the next run is recomputed from `now` with the new pattern. */
    async update(
      workspaceId: string,
      id: string,
      change: Partial<ScheduleDefinition>,
      options: { now: Date },
    ): Promise<StoredSchedule> {
      const current = await store.get(workspaceId, id);
      const definition = parseScheduleDefinition({
        reportId: current.reportId,
        name: current.name,
        cron: current.cron,
        timezone: current.timezone,
        ...(current.timeRange ? { timeRange: current.timeRange } : {}),
        formats: current.formats,
        recipients: current.recipients,
        enabled: current.enabled,
        ...change,
      });
      if (definition.reportId !== current.reportId)
        await assertReportInWorkspace(db, definition.reportId, workspaceId);
      const [row] = await db.query<Row>(
        `UPDATE schedules SET report_id = $3, name = $4, cron = $5, timezone = $6, time_range = $7, formats = $8,
           recipients = $9, enabled = $10, next_run_at = $11, updated_at = now()
         WHERE id = $1 AND workspace_id = $2 RETURNING *`,
        [
          id,
          workspaceId,
          definition.reportId,
          definition.name,
          definition.cron,
          definition.timezone,
          definition.timeRange ? JSON.stringify(definition.timeRange) : null,
          definition.formats,
          JSON.stringify(definition.recipients),
          definition.enabled,
          nextRun(definition, options.now),
        ],
      );
      return toSchedule(row!);
    },
    async delete(workspaceId: string, id: string): Promise<boolean> {
      if (!z.uuid().safeParse(id).success) return false;
      const rows = await db.query('DELETE FROM schedules WHERE id = $1 AND workspace_id = $2 RETURNING id', [
        id,
        workspaceId,
      ]);
      return rows.length === 1;
    },
    /** Enabled schedules of every workspace whose next run is at or before `now` (scheduler only). */
    async due(now: Date): Promise<StoredSchedule[]> {
      const rows = await db.query<Row>(
        'SELECT * FROM schedules WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at, id',
        [now.toISOString()],
      );
      return rows.map(toSchedule);
    },
  };
  return store;
}

export type ScheduleStore = ReturnType<typeof scheduleStore>;

async function assertReportInWorkspace(db: SqlDriver, reportId: string, workspaceId: string): Promise<void> {
  const rows = await db.query('SELECT 1 FROM saved_reports WHERE id = $1 AND workspace_id = $2', [
    reportId,
    workspaceId,
  ]);
  if (rows.length === 0)
    throw new PulseError('REPORT_NOT_FOUND', `saved report ${reportId} does not exist in this workspace`, {
      hint: 'Save the report in Explore first, then schedule it by its id.',
    });
}
