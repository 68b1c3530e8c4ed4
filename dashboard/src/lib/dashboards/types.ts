// The wire types of the dashboards API, shared with the server so both sides change together.
export type { DashboardSnapshot } from '../../../server/dashboards/dashboard-live.ts';
export type { DashboardDefinition, Tile, TileType } from '../../../server/dashboards/definition.ts';
export type { TileResult } from '../../../server/dashboards/run-tiles.ts';
export type { ViewState } from '../../../server/dashboards/view-state.ts';
