import { randomUUID } from 'node:crypto';
import { PulseError, type SqlDriver } from '@pulse/core';
import { deriveKey, open, seal } from '@pulse/core/auth/secret-box';
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

/**
 * Keys that seal recipients at rest: webhook URLs carry their credential in the path, webhook
 * secrets sign payloads and e-mail addresses are personal data, so the metadata store (and its
 * backups) hold them only as AES-256-GCM ciphertext. The first key seals; every key may open, so
 * a previous server secret still reads what it sealed until the schedule is saved again.
 */
export interface RecipientKeys {
  current: Buffer;
  previous?: Buffer[];
}
export function recipientKeys(serverSecret: string, previousSecrets: string[] = []): RecipientKeys {
  return {
    current: deriveKey(serverSecret, 'report-recipients'),
    previous: previousSecrets.map((s) => deriveKey(s, 'report-recipients')),
  };
}

function sealRecipients(recipients: Recipient[], keys: RecipientKeys | undefined): string {
  const text = JSON.stringify(recipients);
  return keys ? JSON.stringify({ sealed: seal(keys.current, text) }) : text;
}

function openRecipients(stored: unknown, keys: RecipientKeys | undefined): Recipient[] {
  const value = json(stored) as unknown;
  if (value && typeof value === 'object' && !Array.isArray(value) && 'sealed' in value) {
    if (!keys)
      throw new PulseError('SCHEDULE_SEALED', 'the schedule’s recipients are sealed and no key was given', {
        hint: 'Start Pulse with the PULSE_SECRET_KEY the schedule was saved under.',
      });
    for (const key of [keys.current, ...(keys.previous ?? [])]) {
      try {
        return z.array(recipientSchema).parse(JSON.parse(open(key, (value as { sealed: string }).sealed)));
      } catch (err) {
        if (!(err instanceof PulseError)) throw err;
      }
    }
    throw new PulseError(
      'SCHEDULE_SEALED',
      'the schedule’s recipients were sealed under another secret key',
      {
        hint: 'Add the old key to PULSE_SECRET_KEY_PREVIOUS, or enter the recipients again.',
      },
    );
  }
  return z.array(recipientSchema).parse(value);
}

const toSchedule = (r: Row, keys?: RecipientKeys): StoredSchedule => ({
  id: r.id,
  workspaceId: r.workspace_id,
  reportId: r.report_id,
  name: r.name,
  cron: r.cron,
  timezone: r.timezone,
  timeRange: (json(r.time_range) as RelativeTimeRange | null) ?? null,
  formats: r.formats as ScheduleFormat[],
  recipients: openRecipients(r.recipients, keys),
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
export function scheduleStore(db: SqlDriver, options: { keys?: RecipientKeys } = {}) {
  const { keys } = options;
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
          sealRecipients(definition.recipients, keys),
          definition.enabled,
          nextRun(definition, options.now),
          options.createdBy ?? null,
        ],
      );
      return toSchedule(row!, keys);
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
      return toSchedule(row, keys);
    },
    async list(workspaceId: string): Promise<StoredSchedule[]> {
      const rows = await db.query<Row>(
        'SELECT * FROM schedules WHERE workspace_id = $1 ORDER BY created_at, id',
        [workspaceId],
      );
      return rows.map((r) => toSchedule(r, keys));
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
          sealRecipients(definition.recipients, keys),
          definition.enabled,
          nextRun(definition, options.now),
        ],
      );
      return toSchedule(row!, keys);
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
      return rows.map((r) => toSchedule(r, keys));
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
