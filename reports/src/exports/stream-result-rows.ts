import type { ResultColumn, ResultRow, Warehouse } from '@pulse/warehouse';

/** Engine settings for exports: long enough for millions of rows, never unbounded. */
export const EXPORT_QUERY_SETTINGS = { max_execution_time: 900 } as const;

export interface Statement {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * A statement's rows as the renderers take them, streamed from the engine chunk by chunk: memory
 * holds one chunk (~65k rows) at a time, however many rows the result has. Numbers arrive as
 * JSON numbers (64-bit integers unquoted), as `runMetricQuery` returns them.
 */
export async function* streamResultRows(
  warehouse: Warehouse,
  statement: Statement,
  columns: ResultColumn[],
  signal?: AbortSignal,
): AsyncGenerator<ResultRow> {
  const numeric = columns.filter((c) => c.type === 'number').map((c) => c.name);
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of warehouse.raw.streamRows({
    query: statement.sql,
    params: statement.params,
    format: 'JSONEachRow',
    settings: { ...EXPORT_QUERY_SETTINGS, output_format_json_quote_64bit_integers: 0 },
    ...(signal ? { signal } : {}),
  })) {
    // Every chunk holds whole rows; a server's byte stream may not, so a partial line waits.
    const text = decoder.decode(chunk.data, { stream: true });
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const line = pending + text.slice(start, end);
      pending = '';
      start = end + 1;
      if (line.length === 0) continue;
      const row = JSON.parse(line) as ResultRow;
      for (const name of numeric) {
        const value = row[name];
        if (typeof value === 'string') {
          const n = Number(value);
          row[name] = Number.isFinite(n) ? n : null;
        }
      }
      yield row;
    }
    pending += text.slice(start);
  }
}
