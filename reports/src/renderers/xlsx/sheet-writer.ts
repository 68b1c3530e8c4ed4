import { escapeText } from './cell-styles.ts';
import type { ZipEntryWriter } from './zip-writer.ts';

/** A value as it lands in a cell: text, a number, or a date (stored as an Excel serial number). */
export type XlsxValue = string | number | Date | null | undefined;

export interface SheetLayout {
  /** Width and style index of each column; a cell of a column gets the column's style. */
  columns: { width: number; style: number }[];
  /** Keep row 1 in view while scrolling, and put a filter on it. */
  headerRow: boolean;
}

export interface SheetWriter {
  /** Appends a row; `styles[i]`, when given, replaces the column's style for that cell. */
  row(values: XlsxValue[], styles?: (number | undefined)[]): Promise<void>;
  close(): Promise<void>;
}

/** Text is handed to the zip in pieces of this size: big enough to be cheap, small enough to bound memory. */
const FLUSH_CHARS = 64 * 1024;
const MS_PER_DAY = 86_400_000;
const MAX_CELL_CHARS = 32_767;
/** Days from Excel's day 0 (1899-12-30, with its 1900 leap-year quirk) to 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25_569;

/**
 * One worksheet written as XML straight into its zip entry: no cell objects, no shared
 * strings (text is stored inline), so a million rows cost what one row costs.
 */
export function createSheetWriter(entry: ZipEntryWriter, layout: SheetLayout): SheetWriter {
  const letters = layout.columns.map((_, i) => columnLetters(i));
  const last = letters.at(-1) ?? 'A';
  let pending = head(layout);
  let rowNumber = 0;

  return {
    async row(values, styles) {
      rowNumber++;
      let xml = `<row r="${rowNumber}">`;
      for (let i = 0; i < values.length; i++) {
        const style = styles?.[i] ?? layout.columns[i]?.style ?? 0;
        xml += cellXml(`${letters[i] ?? columnLetters(i)}${rowNumber}`, style, values[i]);
      }
      pending += `${xml}</row>`;
      if (pending.length >= FLUSH_CHARS) {
        const text = pending;
        pending = '';
        await entry.write(text);
      }
    },
    async close() {
      pending += '</sheetData>';
      if (layout.headerRow && layout.columns.length > 0) pending += `<autoFilter ref="A1:${last}1"/>`;
      pending +=
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>';
      await entry.write(pending);
      pending = '';
      await entry.close();
    },
  };
}

function head(layout: SheetLayout): string {
  const views = layout.headerRow
    ? '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
      '</sheetView></sheetViews>'
    : '';
  const cols = layout.columns.length
    ? `<cols>${layout.columns
        .map(
          (c, i) =>
            `<col min="${i + 1}" max="${i + 1}" width="${c.width}" customWidth="1"${c.style ? ` style="${c.style}"` : ''}/>`,
        )
        .join('')}</cols>`
    : '';
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
    `${views}<sheetFormatPr defaultRowHeight="15"/>${cols}<sheetData>`
  );
}

function cellXml(ref: string, style: number, value: XlsxValue): string {
  const s = style ? ` s="${style}"` : '';
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? `<c r="${ref}"${s}><v>${value}</v></c>` : '';
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? '' : `<c r="${ref}"${s}><v>${ms / MS_PER_DAY + EXCEL_EPOCH_DAYS}</v></c>`;
  }
  // Excel refuses a file (it "repairs" it) with a cell of more than 32,767 characters.
  const text = escapeText(value.length > MAX_CELL_CHARS ? value.slice(0, MAX_CELL_CHARS) : value);
  const space = text !== text.trim() ? ' xml:space="preserve"' : '';
  return `<c r="${ref}"${s} t="inlineStr"><is><t${space}>${text}</t></is></c>`;
}

/** 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let letters = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    letters = String.fromCharCode(65 + rem) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}
