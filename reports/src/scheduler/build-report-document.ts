import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import type { MetricCatalog, MetricQueryInput, Warehouse } from '@pulse/warehouse';
import { resolveTimeRange, runMetricQuery } from '@pulse/warehouse';
import type { DashboardFilter, RelativeTimeRange, ReportSource } from '../definitions/report-definition.ts';
import type { ReportDocument, ReportTile } from '../renderers/index.ts';

/** One dashboard tile as a report needs it: its query (without the range) and how to draw it. */
export interface DashboardTileSpec {
  title: string;
  query: Omit<MetricQueryInput, 'timeRange' | 'timezone'>;
  chart?: ReportTile['chart'];
  /** A tile pinned to its own range ("today") keeps it whatever the report's range is. */
  pinnedTimeRange?: MetricQueryInput['timeRange'];
}

/** Resolves a dashboard's tiles with its filters applied; injected by the server. */
export type ResolveDashboard = (
  workspaceId: string,
  dashboardId: string,
  filters: DashboardFilter[],
) => Promise<{ title: string; tiles: DashboardTileSpec[] }>;

export interface ReportDataSources {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  resolveDashboard?: ResolveDashboard | undefined;
  /**
   * The row filters and column clearance of the person a report runs for (the schedule's owner,
   * or whoever previews it), so a report never shows more than its owner may see on screen.
   */
  policyFor?: ((workspaceId: string, userId: string | null) => Promise<DataPolicy>) | undefined;
}

export interface BuildRequest {
  workspaceId: string;
  title: string;
  source: ReportSource;
  /** Replaces the saved range; the Explore query's own range when omitted. */
  timeRange?: RelativeTimeRange | null;
  timezone: string;
  /** The run's scheduled instant: relative ranges resolve against it, not against "now". */
  at: Date;
  /** When the document is built (defaults to `at`); shown as "generated at". */
  generatedAt?: Date;
  /** Whose data policy applies: the schedule's owner or the previewing user. */
  actingUserId?: string | null;
}

/**
 * Runs a report's queries and assembles the document every renderer takes. An Explore report
 * gets a headline tile (its metrics over the whole period, against the previous period) above
 * its breakdown; a dashboard gets its tiles in order.
 */
export async function buildReportDocument(
  data: ReportDataSources,
  request: BuildRequest,
): Promise<ReportDocument> {
  const { source, workspaceId, timezone, at } = request;
  const policy = data.policyFor ? await data.policyFor(workspaceId, request.actingUserId ?? null) : undefined;
  const run = (query: MetricQueryInput) =>
    runMetricQuery(data.warehouse, data.catalog, query, workspaceId, { now: at, policy });
  let tiles: ReportTile[];
  let filters: DashboardFilter[];
  let range: MetricQueryInput['timeRange'];
  if (source.kind === 'explore') {
    const q = source.query;
    range = request.timeRange ?? q.timeRange;
    filters = q.filters;
    const base = { ...q, timeRange: range, timezone };
    const broken = q.dimensions.length > 0 || q.grain !== undefined;
    const headline = await run({
      metrics: q.metrics,
      filters: q.filters,
      timeRange: range,
      timezone,
      compare: 'previous_period',
      useRollups: q.useRollups,
    });
    tiles = [{ title: broken ? 'Headline numbers' : request.title, chart: 'kpi', result: headline }];
    if (broken)
      tiles.push({
        title: request.title,
        result: await run(base),
        ...(source.chart ? { chart: source.chart } : {}),
      });
  } else {
    if (!data.resolveDashboard)
      throw new Error('dashboard reports need a resolveDashboard function in the scheduler options');
    const dashboard = await data.resolveDashboard(workspaceId, source.dashboardId, source.filters);
    range = request.timeRange ?? { preset: 'last_7_days' };
    filters = source.filters;
    tiles = [];
    // One tile after the other: the warehouse serves live dashboards meanwhile.
    for (const tile of dashboard.tiles) {
      const result = await run({ ...tile.query, timeRange: tile.pinnedTimeRange ?? range, timezone });
      tiles.push({ title: tile.title, result, ...(tile.chart ? { chart: tile.chart } : {}) });
    }
  }
  return {
    title: request.title,
    period: periodLabel(range, timezone, at),
    generatedAt: request.generatedAt ?? at,
    dataAsOf: await readDataAsOf(data.warehouse, workspaceId, request.generatedAt ?? at),
    filters: filters.map(
      (f) => `${f.dimension} ${f.op ?? 'eq'} ${Array.isArray(f.value) ? f.value.join(', ') : f.value}`,
    ),
    timezone,
    tiles,
  };
}

/** "2–8 November 2026": the range's first and last day in the report's zone. */
export function periodLabel(range: MetricQueryInput['timeRange'], timezone: string, at: Date): string {
  const { from, to } = resolveTimeRange(range, timezone, at);
  const last = new Date(Math.max(from.getTime(), to.getTime() - 1));
  const days = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: timezone,
  });
  // en-GB spaces the dash ("2 – 8 November 2026"); within one month it reads better closed up.
  return days.formatRange(from, last).replace(/^(\d+)\s+–\s+(\d+\s)/u, '$1–$2');
}

/**
 * The newest row the warehouse had for the workspace when the report ran (its ingest time), so
 * a reader sees how fresh the numbers are. Never later than the build time.
 */
async function readDataAsOf(warehouse: Warehouse, workspaceId: string, atMost: Date): Promise<Date> {
  const tables = ['product_events', 'social_post_metrics', 'social_followers', 'crm_entity_events'];
  const union = tables
    .map((t) => `SELECT max(ingested_at) AS t FROM ${t} WHERE workspace_id = {ws:String}`)
    .join(' UNION ALL ');
  const result = await warehouse.client.query({
    query: `SELECT toUnixTimestamp64Milli(max(t)) AS ms FROM (${union})`,
    query_params: { ws: workspaceId },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const [row] = (await result.json()) as { ms: number }[];
  const ms = Number(row?.ms ?? 0);
  return new Date(ms > 0 ? Math.min(ms, atMost.getTime()) : atMost.getTime());
}
