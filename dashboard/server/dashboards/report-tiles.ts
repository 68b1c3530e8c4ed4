import { PulseError } from '@pulse/core';
import type { DashboardTileSpec, ResolveDashboard } from '@pulse/reports';
import type { DashboardStore } from './dashboard-store.ts';
import type { Tile } from './definition.ts';

/** How each tile type is drawn in a PDF/XLSX report (the renderers know four kinds). */
const reportChart: Record<Tile['type'], DashboardTileSpec['chart'] | undefined> = {
  kpi: 'kpi',
  timeseries: 'line',
  bar: 'bar',
  stacked_bar: 'bar',
  pie: 'bar',
  heatmap: 'table',
  funnel: undefined,
  retention: undefined,
  table: 'table',
  leaderboard: 'table',
  pipeline: undefined,
} as Record<Tile['type'], DashboardTileSpec['chart'] | undefined>;

/**
 * Turns a dashboard, as it is now, into the tiles a scheduled report renders: every metric tile
 * and every tile showing a saved Explore report, with the report's filters added to each.
 * Funnel, retention and pipeline tiles have no report form yet and are left out.
 */
export function dashboardReportResolver(
  store: Pick<DashboardStore, 'list'>,
  loadReport: (workspaceId: string, reportId: string) => Promise<unknown>,
): ResolveDashboard {
  return async (workspaceId, dashboardId, filters) => {
    const dashboard = (await store.list(workspaceId)).find(
      (d) => d.id === dashboardId || d.slug === dashboardId,
    );
    if (!dashboard)
      throw new PulseError('DASHBOARD_NOT_FOUND', `no dashboard "${dashboardId}" in this workspace`, {
        hint: 'Point the report at an existing dashboard (GET /api/v1/dashboards).',
      });
    const tiles: DashboardTileSpec[] = [];
    for (const tile of dashboard.definition.tiles) {
      let query: Record<string, unknown> | undefined;
      if (tile.data.kind === 'metric') query = { ...tile.data.query };
      else if (tile.data.kind === 'report') {
        const definition = (await loadReport(workspaceId, tile.data.reportId)) as
          | { query?: Record<string, unknown> }
          | Record<string, unknown>
          | undefined;
        query =
          definition && 'query' in definition ? (definition.query as Record<string, unknown>) : definition;
      }
      if (!query) continue;
      const { timeRange, timezone: _zone, ...rest } = query as { timeRange?: unknown; timezone?: unknown };
      tiles.push({
        title: tile.title,
        query: {
          ...(rest as DashboardTileSpec['query']),
          filters: [...(((rest as { filters?: unknown[] }).filters ?? []) as never[]), ...filters],
        },
        ...(reportChart[tile.type] ? { chart: reportChart[tile.type] } : {}),
        ...(timeRange ? { pinnedTimeRange: timeRange as DashboardTileSpec['pinnedTimeRange'] } : {}),
      });
    }
    return { title: dashboard.title, tiles };
  };
}
