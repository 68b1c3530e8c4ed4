import type { ResultColumn, ResultRow } from '@pulse/warehouse';
import type { ByteSink } from './byte-sink.ts';
import { columnHeader } from './format-value.ts';
import { type ReportDocument, tileRows } from './report-document.ts';
import { unionColumns } from './union-columns.ts';

/**
 * RFC 4180 CSV in UTF-8 with CRLF line ends. One tile gives that tile's columns; several tiles
 * share one header (the union of their columns) behind a first `tile` column, so the file stays
 * one table any tool can load. Values are raw: percent as fractions, durations in seconds,
 * time as the warehouse's wall clock in the report's time zone.
 */
export async function renderCsv(doc: ReportDocument, sink: ByteSink, bom: boolean): Promise<void> {
  const withTile = doc.tiles.length > 1;
  const columns = unionColumns(doc.tiles.map((t) => t.result.columns));
  if (bom) await sink.write('\uFEFF');
  const header = columns.map((c) => csvField(columnHeader(c)));
  await sink.write(`${(withTile ? ['tile', ...header] : header).join(',')}\r\n`);
  for (const tile of doc.tiles) {
    // Rows are joined into chunks of ~64 KB: one write per row costs more than the CSV itself.
    let chunk = '';
    for await (const row of tileRows(tile)) {
      chunk += csvLine(withTile ? csvField(tile.title) : undefined, columns, row);
      if (chunk.length >= 65_536) {
        await sink.write(chunk);
        chunk = '';
      }
    }
    if (chunk) await sink.write(chunk);
  }
}

function csvLine(prefix: string | undefined, columns: ResultColumn[], row: ResultRow): string {
  let line = prefix ?? '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0 || prefix !== undefined) line += ',';
    line += csvValue(row[columns[i]!.name]);
  }
  return `${line}\r\n`;
}

function csvValue(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return csvField(value);
}

/** Quotes a field when it holds a comma, a quote or a line break; doubles inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
