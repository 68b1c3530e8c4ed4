import type { SqlDriver } from '@pulse/core';
import type { ExportFormat } from './export-request.ts';

export type ExportState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A job as the API shows it. */
export interface ExportJobView {
  id: string;
  title: string;
  format: ExportFormat;
  state: ExportState;
  rowsWritten: number;
  bytesWritten: number;
  /** Rows the file will hold; null until counted. */
  totalRows: number | null;
  /** 0–100 when the total is known, else null. */
  percent: number | null;
  createdAt: string;
  finishedAt: string | null;
  /** When the file is deleted; null until it exists. */
  expiresAt: string | null;
  fileName: string;
  error: { code: string; message: string; hint?: string } | null;
}

/** A job as it is kept: its view, whose it is, and what its file is served as. */
export interface ExportJobRecord {
  view: ExportJobView;
  workspaceId: string;
  userId: string;
  contentType: string;
}

/** Where jobs outlive the process (the metadata store), or not (tests, `createMemoryExportJobStore`). */
export interface ExportJobStore {
  save(record: ExportJobRecord): Promise<void>;
  /** Every job kept, oldest first. */
  all(): Promise<ExportJobRecord[]>;
  remove(id: string): Promise<void>;
}

export function createMemoryExportJobStore(): ExportJobStore {
  const records = new Map<string, ExportJobRecord>();
  return {
    save: async (record) => {
      records.set(record.view.id, structuredClone(record));
    },
    all: async () => [...records.values()].map((r) => structuredClone(r)),
    remove: async (id) => {
      records.delete(id);
    },
  };
}

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const count = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Jobs in the `export_jobs` table (metadata migration 0009). */
export function createSqlExportJobStore(db: SqlDriver): ExportJobStore {
  return {
    async save({ view, workspaceId, userId, contentType }) {
      await db.query(
        `INSERT INTO export_jobs (id, workspace_id, user_id, title, format, state, file_name, content_type,
           rows_written, bytes_written, total_rows, error, created_at, finished_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, content_type = EXCLUDED.content_type,
           rows_written = EXCLUDED.rows_written, bytes_written = EXCLUDED.bytes_written,
           total_rows = EXCLUDED.total_rows, error = EXCLUDED.error, finished_at = EXCLUDED.finished_at,
           expires_at = EXCLUDED.expires_at`,
        [
          view.id,
          workspaceId,
          userId,
          view.title,
          view.format,
          view.state,
          view.fileName,
          contentType,
          view.rowsWritten,
          view.bytesWritten,
          view.totalRows,
          view.error === null ? null : JSON.stringify(view.error),
          view.createdAt,
          view.finishedAt,
          view.expiresAt,
        ],
      );
    },
    async all() {
      const rows = await db.query<Row>('SELECT * FROM export_jobs ORDER BY created_at, id');
      return rows.map((r) => {
        const error = typeof r.error === 'string' ? JSON.parse(r.error) : (r.error ?? null);
        const state = r.state as ExportState;
        const totalRows = count(r.total_rows);
        return {
          workspaceId: r.workspace_id as string,
          userId: r.user_id as string,
          contentType: r.content_type as string,
          view: {
            id: r.id as string,
            title: r.title as string,
            format: r.format as ExportFormat,
            state,
            rowsWritten: Number(r.rows_written),
            bytesWritten: Number(r.bytes_written),
            totalRows,
            percent: state === 'done' ? 100 : null,
            createdAt: iso(r.created_at)!,
            finishedAt: iso(r.finished_at),
            expiresAt: iso(r.expires_at),
            fileName: r.file_name as string,
            error,
          },
        };
      });
    },
    async remove(id) {
      await db.query('DELETE FROM export_jobs WHERE id = $1', [id]);
    },
  };
}
