import type { Warehouse } from '@pulse/warehouse';

/** What the batch gives each caller back: the shape `client.query` answers with, JSON only. */
interface CapturedQuery {
  query: string;
  params: Record<string, unknown>;
  settings: Record<string, unknown>;
  resolve(rows: unknown[]): void;
  reject(err: unknown): void;
}

export interface BatchedWarehouse {
  /** A Warehouse whose `client.query` joins the current batch instead of running at once. */
  warehouse: Warehouse;
  /** Runs everything captured so far as one statement (or, if that fails, one by one); also runs on its own one tick after the first query of a batch. */
  flush(): Promise<void>;
}

/**
 * Collects the queries a dashboard refresh makes (metric queries, funnels, retention, pipeline
 * tables — through the same functions the API uses) and sends them to ClickHouse as ONE statement:
 * each query becomes a `UNION ALL` branch that returns its rows as JSON strings tagged with the
 * branch number, so differently shaped results travel together. Parameters are renamed per branch
 * (`{from:…}` → `{q3_from:…}`) because two branches may bind the same name to different values
 * (the previous period). If the combined statement fails, each query runs alone, so the error
 * lands on the tile that caused it and the other tiles still render.
 *
 * `onStatement` is called once per statement sent to the warehouse (the Prometheus counter).
 */
export function createBatchedWarehouse(base: Warehouse, onStatement: () => void): BatchedWarehouse {
  let pending: CapturedQuery[] = [];
  const client = new Proxy(base.client, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return (args: {
        query: string;
        query_params?: Record<string, unknown>;
        clickhouse_settings?: Record<string, unknown>;
      }) =>
        new Promise<{ json(): Promise<unknown[]> }>((resolveResult, rejectResult) => {
          // Everything a refresh starts in one tick lands in one batch; a later query gets its own.
          if (pending.length === 0) setImmediate(() => void flush());
          pending.push({
            query: args.query,
            params: args.query_params ?? {},
            settings: args.clickhouse_settings ?? {},
            resolve: (rows) => resolveResult({ json: async () => rows }),
            reject: rejectResult,
          });
        });
    },
  });
  const warehouse: Warehouse = { ...base, client };

  async function flush(): Promise<void> {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      const results = await runCombined(base, batch, onStatement);
      batch.forEach((q, i) => {
        q.resolve(results[i] ?? []);
      });
    } catch {
      await Promise.all(
        batch.map(async (q) => {
          try {
            onStatement();
            const result = await base.client.query({
              query: q.query,
              query_params: q.params,
              format: 'JSONEachRow',
              clickhouse_settings: q.settings as never,
            });
            q.resolve((await result.json()) as unknown[]);
          } catch (err) {
            q.reject(err);
          }
        }),
      );
    }
  }
  return { warehouse, flush };
}

const paramPattern = /\{([A-Za-z_][A-Za-z0-9_]*):/g;

async function runCombined(
  base: Warehouse,
  batch: CapturedQuery[],
  onStatement: () => void,
): Promise<unknown[][]> {
  const params: Record<string, unknown> = {};
  const branches = batch.map((q, i) => {
    for (const [name, value] of Object.entries(q.params)) params[`q${i}_${name}`] = value;
    const sql = q.query.replace(paramPattern, (_, name: string) => `{q${i}_${name}:`);
    // rowNumberInAllBlocks keeps each branch's own ORDER BY through the UNION ALL.
    return `SELECT ${i} AS __q, rowNumberInAllBlocks() AS __n, formatRowNoNewline('JSONEachRow', *) AS __row FROM (\n${sql}\n)`;
  });
  const settings = Object.assign({}, ...batch.map((q) => q.settings)) as Record<string, unknown>;
  onStatement();
  const result = await base.client.query({
    query: `SELECT __q, __row FROM (\n${branches.join('\nUNION ALL\n')}\n) ORDER BY __q, __n`,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { ...settings, output_format_json_quote_64bit_integers: 0 } as never,
  });
  const rows = (await result.json()) as { __q: number; __row: string }[];
  const out: unknown[][] = batch.map(() => []);
  for (const r of rows) out[Number(r.__q)]?.push(JSON.parse(r.__row));
  return out;
}
