import { open } from 'node:fs/promises';
import type { ResultColumn, ResultRow, Warehouse } from '@pulse/warehouse';
import { columnHeader } from '../renderers/format-value.ts';
import { csvField } from '../renderers/render-csv.ts';
import type { ReportDocument } from '../renderers/report-document.ts';
import type { ExportFormat } from './export-request.ts';
import type { ExportSource } from './export-source.ts';
import { renderInChild } from './render-in-child.ts';
import { EXPORT_QUERY_SETTINGS, streamResultBytes } from './stream-result-rows.ts';

export interface ExportProgress {
  rowsWritten: number;
  bytesWritten: number;
}

export interface WriteExportOptions {
  warehouse: Warehouse;
  source: ExportSource;
  format: ExportFormat;
  /** Document around the rows: title, period, data as of (tiles are filled in here). */
  document: Omit<ReportDocument, 'tiles'>;
  /** The file to write; it must not exist yet (the engine refuses to overwrite). */
  path: string;
  csvBom?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
}

export interface WrittenExport {
  /** Unknown only for Parquet from a ClickHouse server, which sends bytes without a count. */
  rows: number | undefined;
  bytes: number;
  contentType: string;
  extension: string;
  /** Peak resident memory of the renderer process, for formats rendered in one (XLSX, PDF, Arrow). */
  rendererPeakRssBytes?: number;
}

export const exportMedia: Record<ExportFormat, { contentType: string; extension: string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  xlsx: {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extension: 'xlsx',
  },
  pdf: { contentType: 'application/pdf', extension: 'pdf' },
  arrow: { contentType: 'application/vnd.apache.arrow.stream', extension: 'arrows' },
  parquet: { contentType: 'application/vnd.apache.parquet', extension: 'parquet' },
};

/**
 * Writes one export file. CSV and Parquet of a plain query come from the engine itself (no row
 * becomes a JavaScript object); XLSX, PDF and Arrow are rendered in a child process fed with the
 * engine's rows (see `renderInChild`). Either way memory holds one chunk of rows, and aborting
 * `signal` stops the query and the renderer.
 */
export async function writeExport(options: WriteExportOptions): Promise<WrittenExport> {
  const { source, format } = options;
  if (!source.computeRows && format === 'parquet') return writeEngineParquet(options, source.statement);
  if (!source.computeRows && format === 'csv') return writeEngineCsv(options, source.statement);
  return writeRendered(options);
}

async function writeEngineParquet(
  options: WriteExportOptions,
  statement: ExportSource['statement'],
): Promise<WrittenExport> {
  const { bytes, rows } = await options.warehouse.raw.queryToFile({
    query: statement.sql,
    params: statement.params,
    format: 'Parquet',
    path: options.path,
    // Strings as UTF8 (not bare binary), so pandas and DuckDB read them as text.
    settings: { ...EXPORT_QUERY_SETTINGS, output_format_parquet_string_as_string: 1 },
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (p) => options.onProgress?.({ rowsWritten: p.rowsWritten, bytesWritten: p.bytesWritten }),
  });
  // A server streams bytes without a row count; the job's preflight count stands in then.
  options.onProgress?.({ rowsWritten: rows ?? 0, bytesWritten: bytes });
  return { rows, bytes, ...exportMedia.parquet };
}

/** The header is ours (labels, as the JS renderer writes them); the rows are the engine's CSV. */
async function writeEngineCsv(
  options: WriteExportOptions,
  statement: ExportSource['statement'],
): Promise<WrittenExport> {
  const file = await open(options.path, 'wx');
  let rows = 0;
  let bytes = 0;
  const write = async (data: string | Uint8Array) => {
    const { bytesWritten } = typeof data === 'string' ? await file.write(data) : await file.write(data);
    bytes += bytesWritten;
  };
  try {
    if (options.csvBom) await write('\uFEFF');
    await write(`${options.source.columns.map((c) => csvField(columnHeader(c))).join(',')}\r\n`);
    for await (const chunk of options.warehouse.raw.streamRows({
      query: statement.sql,
      params: statement.params,
      format: 'CSV',
      settings: {
        ...EXPORT_QUERY_SETTINGS,
        // RFC 4180: CRLF line ends, and an empty field (not \N) for a missing value.
        output_format_csv_crlf_end_of_line: 1,
        format_csv_null_representation: '',
      },
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      await write(chunk.data);
      rows += chunk.rows ?? 0;
      options.onProgress?.({ rowsWritten: rows, bytesWritten: bytes });
    }
  } finally {
    await file.close();
  }
  return { rows, bytes, ...exportMedia.csv };
}

async function writeRendered(options: WriteExportOptions): Promise<WrittenExport> {
  const { source, warehouse, signal } = options;
  if (options.format === 'parquet') throw new Error('Parquet is written by the engine only');
  const format = options.format;
  const computed = source.computeRows ? await source.computeRows() : undefined;
  signal?.throwIfAborted();
  const columns = computed?.columns ?? source.columns;
  const { document } = options;
  const rendered = await renderInChild({
    job: {
      format,
      path: options.path,
      csvBom: options.csvBom ?? false,
      document: {
        ...document,
        generatedAt: document.generatedAt.toISOString(),
        dataAsOf: document.dataAsOf.toISOString(),
      },
      tile: { title: document.title, result: resultShell(source, columns), chart: 'table' },
    },
    rows: computed ? jsonLines(computed.rows) : streamResultBytes(warehouse, source.statement, signal),
    ...(signal ? { signal } : {}),
    onProgress: (p) => options.onProgress?.({ rowsWritten: p.rows, bytesWritten: p.bytes }),
  });
  options.onProgress?.({ rowsWritten: rendered.rows, bytesWritten: rendered.bytes });
  return {
    rows: rendered.rows,
    bytes: rendered.bytes,
    ...exportMedia[format],
    rendererPeakRssBytes: rendered.peakRssBytes,
  };
}

/** Rows computed in this process, as the same JSONEachRow bytes the engine would send. */
async function* jsonLines(rows: ResultRow[]): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for (let i = 0; i < rows.length; i += 1000)
    yield encoder.encode(
      `${rows
        .slice(i, i + 1000)
        .map((row) => JSON.stringify(row))
        .join('\n')}\n`,
    );
}

function resultShell(
  source: ExportSource,
  columns: ResultColumn[],
): ReportDocument['tiles'][number]['result'] {
  return {
    columns,
    rows: [],
    truncated: false,
    timeRange: {
      from: source.timeRange.from.toISOString(),
      to: source.timeRange.to.toISOString(),
      timezone: source.timeRange.timezone,
    },
    sql: source.statement.sql,
    params: source.statement.params,
    plan: [],
    elapsedMs: 0,
  };
}
