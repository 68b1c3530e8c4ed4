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
  try {
    await warehouse.client.insert({
      table,
      values: rows,
      format: 'JSONEachRow',
      clickhouse_settings: {
        date_time_input_format: 'best_effort',
        // Always a token: chDB's session keeps the last insert's settings, so an insert without one
        // would inherit the previous token and be dropped as a duplicate.
        insert_deduplication_token: `${options.dedupToken ?? randomUUID()}:${table}`,
      },
    });
  } catch (err) {
    throw translateWarehouseError(err, 'WAREHOUSE_INSERT_FAILED', `insert into ${table} failed`, {
      table,
      rows: rows.length,
    });
  }
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
