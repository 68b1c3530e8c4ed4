import type { ExportJobView, ExportState } from '@pulse/reports/exports/export-job-store';
import type { ExportFormat } from '@pulse/reports/exports/export-request';

/**
 * An ad-hoc export as `POST /api/v1/exports` answers it and `GET /api/v1/exports/:id` reports
 * it (reports/src/exports/export-jobs.ts), and the words the export button shows for it.
 */
export type { ExportState } from '@pulse/reports/exports/export-job-store';
export type { ExportFormat } from '@pulse/reports/exports/export-request';

/** The job as the API shows it (one type with the server's), with its links. */
export interface ExportJob extends ExportJobView {
  links: { self: string; file?: string };
}

/** In menu order; the row caps mirror reports/src/exports/export-request.ts (the API checks again). */
export const exportFormats: { id: ExportFormat; label: string; maxRows: number }[] = [
  { id: 'csv', label: 'CSV', maxRows: 5_000_000 },
  { id: 'xlsx', label: 'Excel (.xlsx)', maxRows: 1_048_575 },
  { id: 'pdf', label: 'PDF', maxRows: 10_000 },
  { id: 'arrow', label: 'Arrow IPC', maxRows: 5_000_000 },
  { id: 'parquet', label: 'Parquet', maxRows: 5_000_000 },
];

export const isFinished = (state: ExportState) =>
  state === 'done' || state === 'failed' || state === 'cancelled';

const count = (n: number) => n.toLocaleString('en-US');

/** "Exporting… 42% (4,200 of 10,000 rows)", or the rows so far while the total is unknown. */
export function progressText(
  job: Pick<ExportJob, 'state' | 'rowsWritten' | 'totalRows' | 'percent'>,
): string {
  switch (job.state) {
    case 'queued':
      return 'Waiting for a free export slot…';
    case 'running':
      if (job.totalRows !== null && job.percent !== null)
        return `Exporting… ${Math.floor(job.percent)}% (${count(job.rowsWritten)} of ${count(job.totalRows)} rows)`;
      return `Exporting… ${count(job.rowsWritten)} rows written`;
    case 'done':
      return `Done: ${count(job.rowsWritten)} ${job.rowsWritten === 1 ? 'row' : 'rows'}`;
    case 'cancelled':
      return 'Export cancelled.';
    case 'failed':
      return 'Export failed.';
  }
}

/** A size as people read it: 950 B, 12.3 KB, 4.1 MB. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
