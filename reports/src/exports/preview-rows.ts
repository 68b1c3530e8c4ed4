import { tableFromIPC } from 'apache-arrow';

export type PreviewCell = string | number | boolean | null;

/** The first rows of a rendered CSV or Arrow file, read back from its bytes, for a preview table. */
export interface PreviewRows {
  columns: string[];
  rows: PreviewCell[][];
  /** Rows in the whole file. */
  totalRows: number;
}

/**
 * Reads a file the way the person who downloads it will: what the preview shows is what the file
 * holds, not the query result it was made from.
 */
export function previewRows(bytes: Uint8Array, format: 'csv' | 'arrow', limit: number): PreviewRows {
  if (format === 'arrow') {
    const table = tableFromIPC(bytes);
    const columns = table.schema.fields.map((f) => f.name);
    const rows: PreviewCell[][] = [];
    for (let i = 0; i < Math.min(limit, table.numRows); i++) {
      const row = table.get(i)?.toJSON() ?? {};
      rows.push(columns.map((c) => arrowCell(row[c])));
    }
    return { columns, rows, totalRows: table.numRows };
  }
  const records = parseCsv(new TextDecoder().decode(bytes).replace(/^\uFEFF/, ''));
  const [header = [], ...body] = records;
  return { columns: header, rows: body.slice(0, limit), totalRows: body.length };
}

function arrowCell(value: unknown): PreviewCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks; lines end in CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
