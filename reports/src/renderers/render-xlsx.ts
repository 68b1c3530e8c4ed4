import type { ResultColumn, ResultRow } from '@pulse/warehouse';
import type { ByteSink } from './byte-sink.ts';
import { columnHeader } from './format-value.ts';
import type { ReportDocument, ReportTile } from './report-document.ts';
import { tileRows } from './report-document.ts';
import { safeSheetNames } from './sheet-names.ts';
import { wallClockAsUtcFields, wallClockToDateUtcFields } from './wall-clock-time.ts';
import { type CellStyles, createCellStyles } from './xlsx/cell-styles.ts';
import { createSheetWriter, columnLetters, type XlsxValue } from './xlsx/sheet-writer.ts';
import { sheetPath, workbookParts } from './xlsx/workbook-parts.ts';
import { createZipWriter, type ZipWriter } from './xlsx/zip-writer.ts';

const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss';
const DATE_FORMAT = 'yyyy-mm-dd';
const numFmtByFormat: Record<string, string> = {
  percent: '0.0%',
  currency: '#,##0.00',
  duration: '[h]:mm:ss',
};
/** Rows looked at to size the columns; widths must be known before the first row is written. */
const WIDTH_SAMPLE_ROWS = 500;

/**
 * A workbook written as a stream: a Summary sheet, then one sheet per tile with typed cells
 * (numbers, real dates, percent/currency/duration formats), a bold frozen header and a filter.
 * The sheet XML goes straight into a deflate stream that waits for the sink, so memory stays
 * flat however many rows a tile has (exceljs's writer ignored backpressure: a 1M-row sheet
 * piled up ~200 MB of uncompressed XML, and took 20 s).
 */
export async function renderXlsx(doc: ReportDocument, sink: ByteSink): Promise<void> {
  const zip = createZipWriter(sink);
  const styles = createCellStyles();
  const names = safeSheetNames(['Summary', ...doc.tiles.map((t) => t.title)]);
  const sheets = names.map((name, i) => {
    const columns = i === 0 ? 0 : doc.tiles[i - 1]!.result.columns.length;
    return columns > 0 ? { name, filterRange: `$A$1:$${columnLetters(columns - 1)}$1` } : { name };
  });
  for (const [path, xml] of workbookParts(sheets, {
    creator: 'Pulse',
    title: doc.title,
    created: doc.generatedAt,
  }))
    await zip.add(path, xml);
  await writeSummary(zip, styles, doc, names.slice(1));
  for (const [i, tile] of doc.tiles.entries()) await writeTile(zip, styles, i + 1, tile, doc);
  await zip.add('xl/styles.xml', styles.xml());
  await zip.finish();
}

async function writeSummary(
  zip: ZipWriter,
  styles: CellStyles,
  doc: ReportDocument,
  sheetNames: string[],
): Promise<void> {
  const label = styles.id({ bold: true });
  const title = styles.id({ bold: true, size: 14 });
  const date = styles.id({ numFmt: DATE_TIME_FORMAT });
  const sheet = createSheetWriter(zip.open(sheetPath(0)), {
    columns: [
      { width: 24, style: 0 },
      { width: 60, style: 0 },
    ],
    headerRow: false,
  });
  const add = (name: string, value: string | Date, bold = false) =>
    sheet.row([name, value], [label, bold ? title : value instanceof Date ? date : 0]);
  await add('Report', doc.title, true);
  await add('Period', doc.period);
  await add(`Generated at (${doc.timezone})`, wallClockToDateUtcFields(doc.generatedAt, doc.timezone));
  await add(`Data as of (${doc.timezone})`, wallClockToDateUtcFields(doc.dataAsOf, doc.timezone));
  await add('Time zone', doc.timezone);
  if (doc.filters.length === 0) await add('Filters', 'none');
  for (const [i, filter] of doc.filters.entries()) await add(i === 0 ? 'Filters' : '', filter);
  await sheet.row([]);
  for (const [i, tile] of doc.tiles.entries())
    await add(i === 0 ? 'Sheets' : '', `${sheetNames[i]}: ${tile.title}`);
  await sheet.close();
}

async function writeTile(
  zip: ZipWriter,
  styles: CellStyles,
  index: number,
  tile: ReportTile,
  doc: ReportDocument,
): Promise<void> {
  const columns = tile.result.columns;
  const headers = columns.map((c) => headerText(c, doc.timezone));
  const rows = tileRows(tile)[Symbol.asyncIterator]();
  const sample: ResultRow[] = [];
  while (sample.length < WIDTH_SAMPLE_ROWS) {
    const next = await rows.next();
    if (next.done) break;
    sample.push(next.value);
  }
  // Number formats go on the columns once; a cell refers to its column's style by index.
  const formats = columns.map((c) => columnNumFmt(c, sample));
  const sheet = createSheetWriter(zip.open(sheetPath(index)), {
    columns: columns.map((c, i) => ({
      width: columnWidth(c, headers[i]!, sample),
      style: styles.id(formats[i] ? { numFmt: formats[i] } : {}),
    })),
    headerRow: true,
  });
  await sheet.row(
    headers,
    formats.map((numFmt) => styles.id(numFmt ? { bold: true, numFmt } : { bold: true })),
  );
  const write = (row: ResultRow) => sheet.row(columns.map((c) => cellValue(c, row[c.name])));
  for (const row of sample) await write(row);
  for (let next = await rows.next(); !next.done; next = await rows.next()) await write(next.value);
  await sheet.close();
}

function headerText(column: ResultColumn, timezone: string): string {
  const text = columnHeader(column);
  return column.type === 'time' ? `${text} (${timezone})` : text;
}

function cellValue(column: ResultColumn, value: string | number | null | undefined): XlsxValue {
  if (value === null || value === undefined) return null;
  if (column.type === 'time' && typeof value === 'string') return wallClockAsUtcFields(value) ?? value;
  if (column.format === 'duration' && typeof value === 'number') return value / 86_400;
  return value;
}

/** A column's number format: dates show as dates when every sampled time is midnight (day grain). */
function columnNumFmt(column: ResultColumn, sample: ResultRow[]): string | undefined {
  if (column.type === 'time') {
    const times = sample.map((r) => r[column.name]).filter((v) => typeof v === 'string') as string[];
    return times.length > 0 && times.every((v) => /00:00:00$/.test(v)) ? DATE_FORMAT : DATE_TIME_FORMAT;
  }
  return column.format ? numFmtByFormat[column.format] : undefined;
}

function columnWidth(column: ResultColumn, header: string, sample: ResultRow[]): number {
  let longest = header.length;
  for (const row of sample) {
    const value = row[column.name];
    const shown =
      column.type === 'time' ? 19 : value === null || value === undefined ? 0 : displayLength(column, value);
    longest = Math.max(longest, shown);
  }
  return Math.min(60, Math.max(8, longest + 2));
}

function displayLength(column: ResultColumn, value: string | number): number {
  if (typeof value === 'string') return Math.max(...value.split('\n').map((line) => line.length));
  if (column.format === 'percent') return 7;
  if (column.format === 'duration') return 9;
  return Math.round(value).toLocaleString('en-US').length + (Number.isInteger(value) ? 0 : 3);
}
