import type { Warehouse } from '@pulse/warehouse';
import { periodLabel } from '../scheduler/build-report-document.ts';
import { readDataAsOf } from './data-as-of.ts';
import type { ExportJobView } from './export-job-store.ts';
import type { ExportSource } from './export-source.ts';
import { type ExportProgress, type WrittenExport, writeExport } from './write-export.ts';

export interface ExecuteExportInput {
  warehouse: Warehouse;
  source: ExportSource;
  /** The job as the API shows it; its counts and percentage move as the file is written. */
  view: ExportJobView;
  workspaceId: string;
  path: string;
  csvBom: boolean;
  signal: AbortSignal;
  generatedAt: Date;
}

/**
 * Runs one export job's work: counts its rows (for a real percentage), writes the file with the
 * report's title, period, filters and "data as of", and leaves the final counts on `view`.
 */
export async function executeExport(input: ExecuteExportInput): Promise<WrittenExport> {
  const { warehouse, source, view, signal, generatedAt } = input;
  view.totalRows = await countTotal(warehouse, source, signal);
  const written = await writeExport({
    warehouse,
    source,
    format: view.format,
    path: input.path,
    csvBom: input.csvBom,
    signal,
    document: {
      title: view.title,
      period: periodLabel(
        { from: source.timeRange.from.toISOString(), to: source.timeRange.to.toISOString() },
        source.timeRange.timezone,
        generatedAt,
      ),
      generatedAt,
      dataAsOf: await readDataAsOf(warehouse, input.workspaceId, generatedAt),
      filters: source.filters,
      timezone: source.timeRange.timezone,
    },
    onProgress: (p) => progress(view, p),
  });
  signal.throwIfAborted();
  progress(view, { rowsWritten: written.rows ?? view.totalRows ?? 0, bytesWritten: written.bytes });
  view.totalRows = view.rowsWritten;
  view.percent = 100;
  return written;
}

function progress(view: ExportJobView, p: ExportProgress): void {
  view.rowsWritten = p.rowsWritten;
  view.bytesWritten = p.bytesWritten;
  if (view.totalRows !== null && view.totalRows > 0)
    view.percent = Math.min(99, Math.floor((p.rowsWritten / view.totalRows) * 100));
}

/**
 * Counting first costs one more pass of the query, and buys a real percentage for the
 * progress bar of a large export; a comparison's rows are counted when they are computed.
 */
async function countTotal(
  warehouse: Warehouse,
  source: ExportSource,
  signal: AbortSignal,
): Promise<number | null> {
  if (source.computeRows) return null;
  const result = await warehouse.client.query({
    query: `SELECT count() AS n FROM (${source.statement.sql})`,
    query_params: source.statement.params,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, max_execution_time: 900 },
    abort_signal: signal,
  });
  const [row] = (await result.json()) as { n: number }[];
  return Number(row?.n ?? 0);
}
