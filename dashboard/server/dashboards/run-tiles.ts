import { isPulseError, type MetadataStore, PulseError } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import {
  allowedDimensions,
  allowedGrains,
  isBaseMetric,
  type MetricCatalog,
  type MetricQueryResult,
  metricDependencies,
  resolveTimeRange,
  runFunnel,
  runMetricQuery,
  runRetention,
  type Warehouse,
} from '@pulse/warehouse';
import type { PipelineHealth } from '../services.ts';
import {
  type DashboardDefinition,
  type MetricTileQuery,
  metricTileQuerySchema,
  type Tile,
} from './definition.ts';
import type { ViewState } from './view-state.ts';

export type SourceFamily = 'product' | 'social' | 'crm';

export interface TileResult {
  id: string;
  status: 'ok' | 'error';
  error?: { code: string; message: string; hint?: string };
  /** Global filters this tile could not apply (its metrics lack the dimension). */
  filtersNotApplied?: string[];
  /** Set when the tile's source has had no event for longer than the dashboard allows. */
  stale?: { family: SourceFamily; lastEventAt: string | null };
  metric?: Pick<MetricQueryResult, 'columns' | 'rows' | 'truncated' | 'timeRange'> & {
    sparkline?: { time: string; value: number | null }[];
  };
  funnel?: Awaited<ReturnType<typeof runFunnel>>['steps'];
  retention?: { cohorts: Awaited<ReturnType<typeof runRetention>>['cohorts']; weeks: number };
  pipeline?: { stats?: PipelineHealth | null; rows?: Record<string, unknown>[] };
}

export interface TileContext {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  metadata: Pick<MetadataStore, 'reports'>;
  workspaceId: string;
  state: ViewState;
  pipeline?: () => Promise<PipelineHealth>;
  /** Whether the viewer holds `pipeline:read`: pipeline tiles say so instead of showing data. */
  pipelineAllowed: boolean;
  /** The viewer's row filters and clearance, compiled into every tile's query. */
  policy?: DataPolicy | undefined;
  now: Date;
}

/** Types whose numbers read better next to the previous period's. */
const comparedTypes = new Set(['kpi', 'bar', 'table', 'leaderboard']);
const sourceFamily: Record<string, SourceFamily> = {
  product_events: 'product',
  post_activity: 'social',
  posts: 'social',
  followers: 'social',
  crm_changes: 'crm',
  deal_stage_changes: 'crm',
  deal_outcomes: 'crm',
  deal_stage_durations: 'crm',
  deal_states: 'crm',
};

/**
 * Runs every tile of a dashboard for one view state. All warehouse reads start in the same tick,
 * so a batching warehouse (see batched-warehouse.ts) sends them as one statement. A failing tile
 * gets its error as a value; the others still render.
 */
export async function runTiles(definition: DashboardDefinition, ctx: TileContext): Promise<TileResult[]> {
  // Report tiles need their saved query first; everything after this starts in one tick.
  const reportQueries = await Promise.all(definition.tiles.map((t) => resolveReport(t, ctx)));
  const freshness = readFreshness(ctx);
  const results = await Promise.all(
    definition.tiles.map((tile, i) => runTile(tile, reportQueries[i], ctx).catch((err) => failed(tile, err))),
  );
  const lastEvents = await freshness.catch(() => undefined);
  const staleBefore = ctx.now.getTime() - definition.staleAfterMinutes * 60_000;
  for (const [i, tile] of definition.tiles.entries()) {
    const family = familyOf(tile, reportQueries[i], ctx.catalog);
    const last = family && lastEvents ? lastEvents[family] : undefined;
    const result = results[i] as TileResult;
    if (family && last !== undefined && last !== null && last < staleBefore)
      result.stale = { family, lastEventAt: new Date(last).toISOString() };
  }
  return results;
}

async function runTile(
  tile: Tile,
  reportQuery: MetricTileQuery | undefined,
  ctx: TileContext,
): Promise<TileResult> {
  const { data } = tile;
  const range = { timeRange: ctx.state.timeRange, timezone: ctx.state.timezone };
  if (data.kind === 'funnel') {
    const r = await runFunnel(
      ctx.warehouse,
      { steps: data.steps, windowSeconds: data.windowSeconds, ...range },
      ctx.workspaceId,
      runOptions(ctx),
    );
    return { id: tile.id, status: 'ok', funnel: r.steps };
  }
  if (data.kind === 'retention') {
    const r = await runRetention(
      ctx.warehouse,
      { cohortEvent: data.cohortEvent, weeks: data.weeks, ...range },
      ctx.workspaceId,
      runOptions(ctx),
    );
    return { id: tile.id, status: 'ok', retention: { cohorts: r.cohorts, weeks: r.weeks } };
  }
  if (data.kind === 'pipeline' && !ctx.pipelineAllowed)
    throw new PulseError('PIPELINE_FORBIDDEN', 'ingest health needs the pipeline:read permission', {
      hint: 'ask a workspace admin for a role that includes pipeline:read',
    });
  if (data.kind === 'pipeline')
    return { id: tile.id, status: 'ok', pipeline: await runPipeline(data.view, ctx) };
  if (data.kind === 'report' && !reportQuery)
    throw new PulseError(
      'REPORT_NOT_FOUND',
      `saved report ${data.reportId} is gone or holds no metric query`,
      {
        hint: 'Remove this tile, or open the report in Explore, save it again and re-add it.',
      },
    );
  const query = data.kind === 'metric' ? data.query : (reportQuery as MetricTileQuery);
  const usable = query.metrics.map((m) => ctx.catalog.get(m)).filter((m) => m !== undefined);
  const allowed = (dimension: string) =>
    usable.length > 0 && usable.every((m) => allowedDimensions(m, ctx.catalog).includes(dimension));
  const applied = ctx.state.filters.filter((f) => allowed(f.dimension));
  const notApplied = ctx.state.filters.filter((f) => !allowed(f.dimension)).map((f) => f.dimension);
  const input = {
    metrics: query.metrics,
    dimensions: query.dimensions,
    filters: [...query.filters, ...applied],
    ...(query.grain ? { grain: query.grain } : {}),
    ...(query.orderBy ? { orderBy: query.orderBy } : {}),
    limit: query.limit,
    timeRange: query.timeRange ?? ctx.state.timeRange,
    timezone: ctx.state.timezone,
    ...(ctx.state.compare && comparedTypes.has(tile.type) ? { compare: 'previous_period' as const } : {}),
  };
  const first = usable[0];
  const sparkGrain =
    tile.type === 'kpi' && tile.options.sparkline && first
      ? sparklineGrain(allowedGrains(first, ctx.catalog))
      : undefined;
  const [main, spark] = await Promise.all([
    runMetricQuery(ctx.warehouse, ctx.catalog, input, ctx.workspaceId, runOptions(ctx)),
    sparkGrain && first
      ? runMetricQuery(
          ctx.warehouse,
          ctx.catalog,
          {
            ...input,
            metrics: [first.name],
            dimensions: [],
            grain: sparkGrain,
            compare: undefined,
            limit: 400,
          },
          ctx.workspaceId,
          runOptions(ctx),
        )
      : undefined,
  ]);
  return {
    id: tile.id,
    status: 'ok',
    ...(notApplied.length ? { filtersNotApplied: notApplied } : {}),
    metric: {
      columns: main.columns,
      rows: main.rows,
      truncated: main.truncated,
      timeRange: main.timeRange,
      ...(spark && first
        ? {
            sparkline: spark.rows.map((r) => ({
              time: String(r.time),
              value: (r[first.name] as number | null) ?? null,
            })),
          }
        : {}),
    },
  };
}

function sparklineGrain(grains: readonly string[]): 'day' | 'week' | 'month' | undefined {
  return (['day', 'week', 'month'] as const).find((g) => grains.includes(g));
}

/**
 * A saved Explore report holds a metric query (`definition.query`, or the definition itself);
 * only its metric-query fields are taken, and a report of another workspace is not found.
 */
async function resolveReport(tile: Tile, ctx: TileContext): Promise<MetricTileQuery | undefined> {
  if (tile.data.kind !== 'report') return undefined;
  const report = await ctx.metadata.reports.get(tile.data.reportId);
  if (!report || report.workspaceId !== ctx.workspaceId) return undefined;
  const def = report.definition as Record<string, unknown> | null;
  const source = (def && typeof def.query === 'object' ? def.query : def) as Record<string, unknown> | null;
  const picked = Object.fromEntries(
    ['metrics', 'dimensions', 'filters', 'grain', 'orderBy', 'limit']
      .filter((k) => source?.[k] !== undefined)
      .map((k) => [k, source?.[k]]),
  );
  const parsed = metricTileQuerySchema.safeParse(picked);
  return parsed.success ? parsed.data : undefined;
}

async function runPipeline(
  view: 'stats' | 'error_reasons' | 'error_samples',
  ctx: TileContext,
): Promise<TileResult['pipeline']> {
  if (view === 'stats') return { stats: ctx.pipeline ? await ctx.pipeline() : null };
  const range = resolveTimeRange(ctx.state.timeRange, ctx.state.timezone, ctx.now);
  const where =
    'workspace_id = {workspace:String} AND error_at >= {from:DateTime64(3)} AND error_at < {to:DateTime64(3)}';
  const query =
    view === 'error_reasons'
      ? `SELECT step, reason, count() AS errors, max(error_at) AS last_at FROM ingest_errors WHERE ${where} GROUP BY step, reason ORDER BY errors DESC, step, reason LIMIT 20`
      : `SELECT error_at, family, step, reason, detail, event_id, leftUTF8(payload, 300) AS payload FROM ingest_errors WHERE ${where} ORDER BY error_at DESC, event_id LIMIT 20`;
  const result = await ctx.warehouse.client.query({
    query,
    query_params: { workspace: ctx.workspaceId, from: paramTime(range.from), to: paramTime(range.to) },
    format: 'JSONEachRow',
  });
  return { rows: (await result.json()) as Record<string, unknown>[] };
}

/** The newest event time per source family, in ms since the epoch (null when there is none). */
async function readFreshness(ctx: TileContext): Promise<Record<SourceFamily, number | null>> {
  const last = (family: string, table: string) =>
    `SELECT '${family}' AS family, toUnixTimestamp64Milli(max(timestamp)) AS last, count() AS n FROM ${table} WHERE workspace_id = {workspace:String}`;
  const result = await ctx.warehouse.client.query({
    query: [
      last('product', 'product_events'),
      last('social', 'social_post_metrics'),
      last('crm', 'crm_entity_events'),
    ].join(' UNION ALL '),
    query_params: { workspace: ctx.workspaceId },
    format: 'JSONEachRow',
  });
  const rows = (await result.json()) as { family: SourceFamily; last: number; n: number }[];
  const out: Record<SourceFamily, number | null> = { product: null, social: null, crm: null };
  for (const r of rows) out[r.family] = Number(r.n) > 0 ? Number(r.last) : null;
  return out;
}

function familyOf(
  tile: Tile,
  reportQuery: MetricTileQuery | undefined,
  catalog: MetricCatalog,
): SourceFamily | undefined {
  if (tile.data.kind === 'funnel' || tile.data.kind === 'retention') return 'product';
  const query = tile.data.kind === 'metric' ? tile.data.query : reportQuery;
  const name = query?.metrics[0];
  let m = name ? catalog.get(name) : undefined;
  for (let depth = 0; m && !isBaseMetric(m) && depth < 5; depth++)
    m = catalog.get(metricDependencies(m)[0] ?? '');
  return m && isBaseMetric(m) ? sourceFamily[m.source] : undefined;
}

function failed(tile: Tile, err: unknown): TileResult {
  if (isPulseError(err))
    return {
      id: tile.id,
      status: 'error',
      error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
    };
  return {
    id: tile.id,
    status: 'error',
    error: {
      code: 'TILE_FAILED',
      message: (err as Error)?.message ?? 'the tile could not be computed',
      hint: 'Try again; if it keeps failing, check the server log.',
    },
  };
}

const runOptions = (ctx: TileContext) => ({ now: ctx.now, ...(ctx.policy ? { policy: ctx.policy } : {}) });

const paramTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
