import { PulseError } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import {
  type CompiledQuery,
  compileMetricQuery,
  type MetricCatalog,
  type QueryPlanStep,
  type ResultColumn,
} from './compile-query.ts';
import { type MetricQuery, type MetricQueryInput, metricQuerySchema } from './query.ts';
import { createMetricResultCache, type MetricResultCache } from './result-cache.ts';
import { previousPeriod, resolveTimeRange } from './time-range.ts';

export type ResultRow = Record<string, string | number | null>;

export interface MetricQueryResult {
  columns: ResultColumn[];
  rows: ResultRow[];
  /** True when more rows matched than `limit`. */
  truncated: boolean;
  timeRange: { from: string; to: string; timezone: string };
  /** The statement that ran, with its parameters, so analysts can see and rerun it. */
  sql: string;
  params: Record<string, unknown>;
  plan: QueryPlanStep[];
  comparison?: { timeRange: { from: string; to: string }; sql: string; plan: QueryPlanStep[] };
  elapsedMs: number;
}

/** How a query runs on behalf of someone: when "now" is, and the caller's data policy. */
export interface RunOptions {
  now?: Date;
  /**
   * The caller's policy (`resolveDataPolicy`): row filters, masking and refusals are compiled in.
   * Omitted only by trusted internal callers (tests, benchmarks) that read everything.
   */
  policy?: DataPolicy;
  /**
   * Answers identical statements once per data change, e.g. `sharedResultCache(warehouse)`.
   * Off by default: the version lookup is a statement of its own, which a caller that batches
   * a refresh into one statement (the dashboards) must choose to spend.
   */
  cache?: MetricResultCache | false;
}

// Keyed by `raw`, which `createWarehouse` makes once per warehouse: wrappers that swap the client
// (the dashboard's refresh batching) keep it, so they share the warehouse's cache.
const sharedCaches = new WeakMap<object, MetricResultCache>();

/** The process-wide result cache of a warehouse. */
export function sharedResultCache(warehouse: Warehouse): MetricResultCache {
  const identity: object = warehouse.raw ?? warehouse.client;
  let cache = sharedCaches.get(identity);
  if (!cache) {
    cache = createMetricResultCache();
    sharedCaches.set(identity, cache);
  }
  return cache;
}

/** Accepts the older `now` argument or the options; both mean the same. */
export function runOptions(nowOrOptions: Date | RunOptions | undefined, workspaceId: string): RunOptions {
  const options = nowOrOptions instanceof Date ? { now: nowOrOptions } : (nowOrOptions ?? {});
  if (options.policy && options.policy.workspaceId !== workspaceId)
    throw new PulseError('POLICY_FORBIDDEN', 'the data policy belongs to another workspace', {
      hint: 'Resolve the policy for the workspace the query reads.',
      context: { workspaceId, policyWorkspaceId: options.policy.workspaceId },
    });
  return options;
}

export function parseMetricQuery(input: unknown): MetricQuery {
  const parsed = metricQuerySchema.safeParse(input);
  if (!parsed.success)
    throw new PulseError('INVALID_QUERY', 'the metric query is not valid', {
      hint: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  return parsed.data;
}

function execute(
  warehouse: Warehouse,
  compiled: CompiledQuery,
  cache: MetricResultCache | false,
): Promise<ResultRow[]> {
  return cache
    ? cache.rows(warehouse, compiled, () => executeNow(warehouse, compiled))
    : executeNow(warehouse, compiled);
}

async function executeNow(warehouse: Warehouse, compiled: CompiledQuery): Promise<ResultRow[]> {
  try {
    const result = await warehouse.client.query({
      query: compiled.sql,
      query_params: compiled.params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, max_execution_time: 60 },
    });
    const rows = (await result.json()) as ResultRow[];
    for (const row of rows)
      for (const c of compiled.columns)
        if (c.type === 'number' && row[c.name] !== null) {
          const n = Number(row[c.name]);
          row[c.name] = Number.isFinite(n) ? n : null;
        }
    return rows;
  } catch (err) {
    throw translateWarehouseError(err, 'QUERY_FAILED', 'the metric query failed in the warehouse');
  }
}

/**
 * Runs a metric query: validates it, resolves the time range in its zone, compiles, executes
 * and, when asked, runs the previous period too and adds `<metric>__previous` and
 * `<metric>__change` (relative change) to each row, matched by dimensions and bucket position.
 */
export async function runMetricQuery(
  warehouse: Warehouse,
  catalog: MetricCatalog,
  input: MetricQueryInput | MetricQuery,
  workspaceId: string,
  nowOrOptions: Date | RunOptions = {},
): Promise<MetricQueryResult> {
  const options = runOptions(nowOrOptions, workspaceId);
  const { now = new Date(), policy } = options;
  const cache = options.cache ?? false;
  const q = parseMetricQuery(input);
  const started = performance.now();
  const range = resolveTimeRange(q.timeRange, q.timezone, now);
  const compiled = compileMetricQuery(q, catalog, range, workspaceId, policy);
  const previousRange = q.compare ? previousPeriod(range) : undefined;
  const previousCompiled = previousRange
    ? compileMetricQuery(q, catalog, previousRange, workspaceId, policy)
    : undefined;
  const [rows, previousRows] = await Promise.all([
    execute(warehouse, compiled, cache),
    previousCompiled ? execute(warehouse, previousCompiled, cache) : Promise.resolve(undefined),
  ]);
  const truncated = rows.length > q.limit;
  if (truncated) rows.length = q.limit;
  const columns = [...compiled.columns];
  if (previousRows && previousRange && previousCompiled) {
    addComparison(q, rows, previousRows, columns);
  }
  return {
    columns,
    rows,
    truncated,
    timeRange: { from: range.from.toISOString(), to: range.to.toISOString(), timezone: q.timezone },
    sql: compiled.sql,
    params: compiled.params,
    plan: compiled.plan,
    ...(previousRange && previousCompiled
      ? {
          comparison: {
            timeRange: { from: previousRange.from.toISOString(), to: previousRange.to.toISOString() },
            sql: previousCompiled.sql,
            plan: previousCompiled.plan,
          },
        }
      : {}),
    elapsedMs: Math.round(performance.now() - started),
  };
}

function addComparison(
  q: MetricQuery,
  rows: ResultRow[],
  previous: ResultRow[],
  columns: ResultColumn[],
): void {
  const position = (list: ResultRow[]) => {
    const buckets = [...new Set(list.map((r) => String(r.time ?? '')))].sort();
    return new Map(buckets.map((b, i) => [b, i]));
  };
  const key = (r: ResultRow, positions: Map<string, number>) =>
    JSON.stringify([positions.get(String(r.time ?? '')), ...q.dimensions.map((d) => r[d])]);
  const currentPositions = position(rows);
  const previousPositions = position(previous);
  const byKey = new Map(previous.map((r) => [key(r, previousPositions), r]));
  for (const row of rows) {
    const before = byKey.get(key(row, currentPositions));
    for (const m of q.metrics) {
      const now = row[m] as number | null;
      const then = (before?.[m] as number | null | undefined) ?? null;
      row[`${m}__previous`] = then;
      row[`${m}__change`] =
        now !== null && then !== null && then !== 0 ? (now - then) / Math.abs(then) : null;
    }
  }
  for (const m of q.metrics) {
    const metric = columns.find((c) => c.name === m);
    columns.push(
      {
        name: `${m}__previous`,
        kind: 'metric',
        type: 'number',
        label: `${metric?.label ?? m} (previous period)`,
        ...(metric?.format ? { format: metric.format } : {}),
      },
      {
        name: `${m}__change`,
        kind: 'metric',
        type: 'number',
        label: `${metric?.label ?? m} (change)`,
        format: 'percent',
      },
    );
  }
}
