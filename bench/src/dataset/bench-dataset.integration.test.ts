import { loadMetricCatalog } from '@pulse/models';
import { runMetricQuery, type Warehouse } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, datasetEnd, datasetWorkspace } from './bench-dataset.ts';
import { rawTables } from './scale-copies.ts';

let scratch: ScratchWarehouse;
let built: Awaited<ReturnType<typeof buildDataset>>;

async function one<T>(warehouse: Warehouse, query: string): Promise<T> {
  const result = await warehouse.client.query({
    query,
    query_params: { ws: datasetWorkspace },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const [row] = (await result.json()) as T[];
  if (!row) throw new Error('no row');
  return row;
}
/** Copy 0 is what the simulator loaded: its ids carry no `.copy` suffix. */
const original = "event_id NOT LIKE '%.%'";

beforeAll(async () => {
  scratch = await createScratchWarehouse({ database: 'bench' });
  built = await buildDataset(scratch.warehouse, { events: 60_000, baseEvents: 20_000 });
}, 180_000);
afterAll(() => scratch?.cleanup());

describe('buildDataset', () => {
  it('copies the simulated base until the requested size, every event id once', async () => {
    expect(built.copies).toBe(3);
    for (const table of rawTables) {
      const r = await one<{ n: number; ids: number; base: number }>(
        scratch.warehouse,
        `SELECT count() AS n, uniqExact(event_id) AS ids, countIf(${original}) AS base FROM ${table} WHERE workspace_id = {ws:String}`,
      );
      expect(r.base).toBeGreaterThan(0);
      expect(r.n).toBe(r.base * 3);
      expect(r.ids).toBe(r.n);
      expect(built.rowsByTable[table]).toBe(r.n);
    }
    expect(built.events).toBeGreaterThan(50_000);
  });

  it('gives each copy its own people, sessions and leads, so distinct counts grow with the copies', async () => {
    // An empty session id means "none" and stays empty in every copy.
    const r = await one<{ actors: number; base_actors: number; sessions: number; base_sessions: number }>(
      scratch.warehouse,
      `SELECT uniqExact(actor_id) AS actors, uniqExactIf(actor_id, ${original}) AS base_actors,
         uniqExactIf(session_id, session_id != '') AS sessions,
         uniqExactIf(session_id, session_id != '' AND ${original}) AS base_sessions
       FROM product_events WHERE workspace_id = {ws:String}`,
    );
    expect(r.actors).toBe(r.base_actors * 3);
    expect(r.sessions).toBe(r.base_sessions * 3);
    const leads = await one<{ all_leads: number; base_leads: number }>(
      scratch.warehouse,
      `SELECT uniqExactIf(entity_id, entity = 'lead' AND action = 'created') AS all_leads,
         uniqExactIf(entity_id, entity = 'lead' AND action = 'created' AND ${original}) AS base_leads
       FROM crm_entity_events WHERE workspace_id = {ws:String}`,
    );
    expect(leads.all_leads).toBe(leads.base_leads * 3);
  });

  it('fills the rollups as ingestion does: the executive tiles agree between rollups and raw rows', async () => {
    const catalog = loadMetricCatalog().metrics;
    const tiles = ['impressions', 'engagements', 'follower_growth', 'new_leads', 'won_revenue', 'dau'];
    const ask = (useRollups: boolean) =>
      runMetricQuery(
        scratch.warehouse,
        catalog,
        { metrics: tiles, timeRange: { preset: 'last_30_days' }, useRollups },
        datasetWorkspace,
        { now: datasetEnd },
      );
    const [viaRollups, raw] = [await ask(true), await ask(false)];
    expect(viaRollups.plan.some((p) => p.rollup !== null)).toBe(true);
    for (const t of tiles) {
      expect(Number(viaRollups.rows[0]?.[t])).toBeGreaterThan(0);
      expect(viaRollups.rows[0]?.[t]).toBeCloseTo(Number(raw.rows[0]?.[t]), 6);
    }
  });
});
