import type { ResultColumn, ResultRow } from '@pulse/warehouse';
import ExcelJS from 'exceljs';
import type { ByteSink } from './byte-sink.ts';
import { columnHeader } from './format-value.ts';
import type { ReportDocument, ReportTile } from './report-document.ts';
import { tileRows } from './report-document.ts';
import { safeSheetNames } from './sheet-names.ts';
import { wallClockAsUtcFields, wallClockToDateUtcFields } from './wall-clock-time.ts';

const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss';
const DATE_FORMAT = 'yyyy-mm-dd';
const numFmtByFormat: Record<string, string> = {
  percent: '0.0%',
  currency: '#,##0.00',
  duration: '[h]:mm:ss',
};
/** Rows looked at to size the columns; widths must be known before the first row is written. */
const WIDTH_SAMPLE_ROWS = 500;
const ROWS_PER_YIELD = 1000;

/**
 * A workbook written as a stream: a Summary sheet, then one sheet per tile with typed cells
 * (numbers, real dates, percent/currency/duration formats), a bold frozen header and a filter.
 */
export async function renderXlsx(doc: ReportDocument, sink: ByteSink): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: sink.stream,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = 'Pulse';
  workbook.created = doc.generatedAt;
  const names = safeSheetNames(['Summary', ...doc.tiles.map((t) => t.title)]);
  writeSummary(workbook.addWorksheet(names[0]!), doc, names.slice(1));
  for (const [i, tile] of doc.tiles.entries()) await writeTile(workbook, names[i + 1]!, tile, doc, sink);
  await workbook.commit();
}

function writeSummary(sheet: ExcelJS.Worksheet, doc: ReportDocument, sheetNames: string[]): void {
  sheet.columns = [{ width: 24 }, { width: 60 }];
  const add = (label: string, value: string | Date, bold = false) => {
    const row = sheet.addRow([label, value]);
    row.getCell(1).font = { bold: true };
    if (bold) row.getCell(2).font = { bold: true, size: 14 };
    if (value instanceof Date) row.getCell(2).numFmt = DATE_TIME_FORMAT;
    row.commit();
  };
  add('Report', doc.title, true);
  add('Period', doc.period);
  add(`Generated at (${doc.timezone})`, wallClockToDateUtcFields(doc.generatedAt, doc.timezone));
  add(`Data as of (${doc.timezone})`, wallClockToDateUtcFields(doc.dataAsOf, doc.timezone));
  add('Time zone', doc.timezone);
  if (doc.filters.length === 0) add('Filters', 'none');
  for (const [i, filter] of doc.filters.entries()) add(i === 0 ? 'Filters' : '', filter);
  sheet.addRow([]).commit();
  for (const [i, tile] of doc.tiles.entries())
    add(i === 0 ? 'Sheets' : '', `${sheetNames[i]}: ${tile.title}`);
  sheet.commit();
}

async function writeTile(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  tile: ReportTile,
  doc: ReportDocument,
  sink: ByteSink,
): Promise<void> {
  const columns = tile.result.columns;
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  const headers = columns.map((c) => headerText(c, doc.timezone));
  const rows = tileRows(tile)[Symbol.asyncIterator]();
  const sample: ResultRow[] = [];
  while (sample.length < WIDTH_SAMPLE_ROWS) {
    const next = await rows.next();
    if (next.done) break;
    sample.push(next.value);
  }
  // Number formats go on the columns once, not on each of a million cells: a per-cell style
  // costs an object per cell while writing, which dominated time and memory of big exports.
  const formats = columns.map((c) => columnNumFmt(c, sample));
  sheet.columns = columns.map((c, i) => ({
    width: columnWidth(c, headers[i]!, sample),
    ...(formats[i] ? { style: { numFmt: formats[i] } } : {}),
  }));
  if (columns.length > 0)
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  const header = sheet.addRow(headers);
  header.font = { bold: true };
  header.commit();
  let written = 0;
  const write = async (row: ResultRow) => {
    const xlsxRow = sheet.addRow(columns.map((c) => cellValue(c, row[c.name])));
    xlsxRow.commit();
    if (++written % ROWS_PER_YIELD === 0) await letOutputCatchUp(sink);
  };
  for (const row of sample) await write(row);
  for (let next = await rows.next(); !next.done; next = await rows.next()) await write(next.value);
  sheet.commit();
}

/**
 * Committed rows go into the zip stream synchronously; yielding lets the zip compress them and
 * waiting for `drain` keeps a slow reader from making the workbook pile up in memory.
 */
async function letOutputCatchUp(sink: ByteSink): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  while (sink.stream.writableNeedDrain) await new Promise((resolve) => sink.stream.once('drain', resolve));
}

function headerText(column: ResultColumn, timezone: string): string {
  const text = columnHeader(column);
  return column.type === 'time' ? `${text} (${timezone})` : text;
}

function cellValue(column: ResultColumn, value: string | number | null | undefined): ExcelJS.CellValue {
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
