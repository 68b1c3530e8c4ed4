import type { ResultColumn, ResultRow, Warehouse } from '@pulse/warehouse';
import { parseJsonRows } from './parse-json-rows.ts';

/** Engine settings for exports: long enough for millions of rows, never unbounded. */
export const EXPORT_QUERY_SETTINGS = { max_execution_time: 900 } as const;

export interface Statement {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * A statement's rows as the engine writes them (JSONEachRow bytes), chunk by chunk: memory holds
 * one chunk (~65k rows) at a time, however many rows the result has. 64-bit integers come
 * unquoted, so they parse as numbers, as `runMetricQuery` returns them.
 */
export async function* streamResultBytes(
  warehouse: Warehouse,
  statement: Statement,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of warehouse.raw.streamRows({
    query: statement.sql,
    params: statement.params,
    format: 'JSONEachRow',
    settings: { ...EXPORT_QUERY_SETTINGS, output_format_json_quote_64bit_integers: 0 },
    ...(signal ? { signal } : {}),
  }))
    yield chunk.data;
}

/** The same rows parsed, as the renderers take them, for a renderer running in this process. */
export function streamResultRows(
  warehouse: Warehouse,
  statement: Statement,
  columns: ResultColumn[],
  signal?: AbortSignal,
): AsyncGenerator<ResultRow> {
  return parseJsonRows(streamResultBytes(warehouse, statement, signal), columns);
}
