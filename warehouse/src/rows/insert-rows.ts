import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { type Row, type TableName, toRows } from './to-rows.ts';
import type { PulseEvent } from '@pulse/core';

export interface InsertOptions {
  /**
   * Deduplication token: the same token on a retried insert adds nothing. The ingester derives it
   * from the batch's topic/partition/offset range; per table, so a batch split over tables keeps
   * one token each.
   */
  dedupToken?: string;
}

export async function insertRows(
  warehouse: Warehouse,
  table: TableName | 'ingest_errors',
  rows: Row[],
  options: InsertOptions = {},
): Promise<void> {
  if (rows.length === 0) return;
  // Always a token: chDB's session keeps the last insert's settings, so an insert without one
  // would inherit the previous token and be dropped as a duplicate. The rollup views of a table
  // are fed side by side (parallel_view_processing): a product insert pushes into four, and one
  // after the other they made the ingester wait (28k → 32k events/s end to end; bench/README.md).
  const settings = {
    parallel_view_processing: 1 as const,
    date_time_input_format: 'best_effort' as const,
    insert_deduplication_token: `${options.dedupToken ?? randomUUID()}:${table}`,
  };
  try {
    if (warehouse.insertTabSeparated) {
      const { columns, body } = toTabSeparated(rows);
      await warehouse.insertTabSeparated(table, columns, body, settings);
    } else
      await warehouse.client.insert({
        table,
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: settings,
      });
  } catch (err) {
    throw translateWarehouseError(err, 'WAREHOUSE_INSERT_FAILED', `insert into ${table} failed`, {
      table,
      rows: rows.length,
    });
  }
}

const tsvSpecial = /[\t\n\r\\]/;
const tsvEscapes: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

/**
 * Rows as TabSeparated text over the union of their keys. What JSONEachRow would make of the same
 * rows: a missing key, null or a non-finite number is `\N`, which the engine turns into the
 * column's default (input_format_null_as_default); backslash, tab and line breaks are escaped, so
 * a value is never read as `\N` or split.
 */
export function toTabSeparated(rows: readonly Row[]): { columns: string[]; body: string } {
  const seen = new Set<string>();
  const columns: string[] = [];
  for (const row of rows)
    for (const key in row)
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
  let body = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      const value = row[columns[i]!];
      let text: string;
      if (typeof value === 'string')
        text = tsvSpecial.test(value) ? value.replace(/[\t\n\r\\]/g, (c) => tsvEscapes[c]!) : value;
      else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else text = '\\N';
      line += i === 0 ? text : `\t${text}`;
    }
    body += `${line}\n`;
  }
  return { columns, body };
}

/** Maps events to rows and inserts each table's rows (one part per table). */
export async function insertEvents(
  warehouse: Warehouse,
  events: readonly PulseEvent[],
  options: InsertOptions = {},
): Promise<number> {
  let inserted = 0;
  for (const [table, rows] of toRows(events)) {
    await insertRows(warehouse, table, rows, options);
    inserted += rows.length;
  }
  return inserted;
}
