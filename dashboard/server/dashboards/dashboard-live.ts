import { Counter, Gauge, type Logger, type MetadataStore, type Registry } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { type MetricCatalog, resolveTimeRange, type Warehouse } from '@pulse/warehouse';
import type { PipelineHealth } from '../services.ts';
import { createBatchedWarehouse } from './batched-warehouse.ts';
import type { DashboardStore } from './dashboard-store.ts';
import { createRefreshHub } from './refresh-hub.ts';
import { runTiles, type TileResult } from './run-tiles.ts';
import { type ViewState, viewKey } from './view-state.ts';

/** What a viewer receives on every refresh: every tile's data for one view state. */
export interface DashboardSnapshot {
  slug: string;
  title: string;
  revision: number;
  /** When the warehouse answered: the "live · data as of" time. */
  asOf: string;
  state: ViewState;
  timeRange: { from: string; to: string; timezone: string };
  tiles: TileResult[];
  /** Warehouse statements this refresh cost (shared by every viewer of the view). */
  statements: number;
}

/** Who looks at which dashboard through which controls. */
export interface DashboardView {
  workspaceId: string;
  slug: string;
  state: ViewState;
  canSeePipeline: boolean;
  policy?: DataPolicy | undefined;
}

export interface DashboardLiveOptions {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  metadata: Pick<MetadataStore, 'reports'>;
  store: DashboardStore;
  metrics: Registry;
  logger: Logger;
  pipeline?: () => Promise<PipelineHealth>;
  intervalMs: number;
}

/**
 * Live dashboards: the refresh hub keyed by workspace + dashboard + view state, each refresh
 * reading all tiles through one batched warehouse statement, with the cost counted in Prometheus
 * (`pulse_dashboard_warehouse_statements_total` over `pulse_dashboard_refreshes_total` is the
 * statements-per-refresh figure, whatever the number of viewers).
 */
export function createDashboardLive(options: DashboardLiveOptions) {
  const statementsTotal = new Counter({
    name: 'pulse_dashboard_warehouse_statements_total',
    help: 'Warehouse statements sent by dashboard refreshes, by dashboard',
    labelNames: ['dashboard'],
    registers: [options.metrics],
  });
  const refreshesTotal = new Counter({
    name: 'pulse_dashboard_refreshes_total',
    help: 'Dashboard refreshes (one per view per interval, shared by its viewers), by dashboard',
    labelNames: ['dashboard'],
    registers: [options.metrics],
  });
  const hub = createRefreshHub<DashboardSnapshot>({ intervalMs: options.intervalMs, logger: options.logger });
  new Gauge({
    name: 'pulse_dashboard_live_views',
    help: 'Distinct dashboard views (dashboard + controls) being refreshed for live viewers',
    registers: [options.metrics],
    collect() {
      this.set(hub.views);
    },
  });

  async function refresh(view: DashboardView): Promise<DashboardSnapshot> {
    const { workspaceId, slug, state, canSeePipeline } = view;
    const dashboard = await options.store.get(workspaceId, slug);
    let statements = 0;
    const batched = createBatchedWarehouse(options.warehouse, () => {
      statements++;
      statementsTotal.inc({ dashboard: slug });
    });
    const now = new Date();
    const tiles = await runTiles(dashboard.definition, {
      warehouse: batched.warehouse,
      catalog: options.catalog,
      metadata: options.metadata,
      workspaceId,
      state,
      now,
      pipelineAllowed: canSeePipeline,
      policy: view.policy,
      ...(canSeePipeline && options.pipeline ? { pipeline: options.pipeline } : {}),
    });
    refreshesTotal.inc({ dashboard: slug });
    const range = resolveTimeRange(state.timeRange, state.timezone, now);
    return {
      slug,
      title: dashboard.title,
      revision: dashboard.revision,
      asOf: new Date().toISOString(),
      state,
      timeRange: { from: range.from.toISOString(), to: range.to.toISOString(), timezone: state.timezone },
      tiles,
      statements,
    };
  }

  // Viewers share a refresh only when they would see the same numbers: same dashboard, controls,
  // data policy (row filters, clearance) and pipeline permission.
  const keyOf = (view: DashboardView) =>
    `${viewKey(view.workspaceId, view.slug, view.state)}#${view.canSeePipeline ? 'pipeline' : ''}#${JSON.stringify(view.policy ?? null)}`;

  return {
    read(view: DashboardView): Promise<DashboardSnapshot> {
      return hub.read(keyOf(view), () => refresh(view));
    },
    subscribe(
      view: DashboardView,
      listener: (snapshot: DashboardSnapshot) => void,
      onError: (err: unknown) => void,
    ): () => void {
      return hub.subscribe(keyOf(view), () => refresh(view), listener, onError);
    },
    /** The ingester inserted rows of this workspace: its live views refresh now, not next tick. */
    nudge(workspaceId: string): void {
      hub.nudge(JSON.stringify([workspaceId]).slice(0, -1));
    },
    /** After an edit: the next read or tick recomputes with the new definition. */
    invalidate(workspaceId: string, slug: string): void {
      hub.invalidate(JSON.stringify([workspaceId, slug]).slice(0, -1));
    },
    close: () => hub.close(),
  };
}

export type DashboardLive = ReturnType<typeof createDashboardLive>;
