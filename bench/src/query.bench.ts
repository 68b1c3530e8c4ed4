// The executive overview's 8 KPI tiles through rollups, next to the same tiles from raw tables
// (the speed-up), an ad-hoc breakdown that only raw tables can answer, and the tiles again while
// ingestion runs at 10,000 events/s (the ratio to idle). Everything in one run, one warehouse.
// Each figure is taken with the result cache off (every statement computed) and, for the
// overview, with it on (what repeat refreshes and many viewers of one dashboard get).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator } from '@pulse/ingest';
import { loadDemoHistory } from '@pulse/ingest/demo/load-demo';
import { loadMetricCatalog } from '@pulse/models';
import {
  createWarehouse,
  insertEvents,
  type MetricQueryInput,
  type MetricResultCache,
  migrate,
  runMetricQuery,
  sharedResultCache,
} from '@pulse/warehouse';

const tiles = [
  'impressions',
  'engagements',
  'engagement_rate_by_impressions',
  'follower_growth',
  'new_leads',
  'won_revenue',
  'open_pipeline_value',
  'dau',
];
const workspace = 'ws_bench';
const end = new Date('2026-11-24T00:00:00Z');

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};
const ms = (v: number) => `${v.toFixed(1)} ms`;

export async function run(options: { events?: number }): Promise<void> {
  const target = options.events ?? 2_000_000;
  const dataPath = mkdtempSync(join(tmpdir(), 'pulse-bench-query-'));
  const warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'bench',
    cluster: undefined,
    dataPath,
  });
  await migrate(warehouse);
  const catalog = loadMetricCatalog().metrics;
  const started = performance.now();
  const { events } = await loadDemoHistory({
    warehouse,
    workspaceId: workspace,
    config: { seed: 3, days: 90 } as never,
    targetEvents: target,
    end,
  });
  console.log(
    `loaded ${events.toLocaleString('en')} demo events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await warehouse.client.command({ query: 'OPTIMIZE TABLE product_activity_day FINAL' }).catch(() => {});

  const tile = (metric: string, useRollups: boolean): MetricQueryInput => ({
    metrics: [metric],
    timeRange: { preset: 'last_30_days' },
    compare: 'previous_period',
    useRollups,
  });
  /** `false`: every statement is computed; else a result cache shared by the refreshes. */
  type Cache = MetricResultCache | false;
  const timeTile = async (metric: string, useRollups: boolean, cache: Cache) => {
    const t = performance.now();
    await runMetricQuery(warehouse, catalog, tile(metric, useRollups), workspace, { now: end, cache });
    return performance.now() - t;
  };
  /** One dashboard refresh: all tiles at once, as the page asks for them. */
  const refresh = async (useRollups: boolean, cache: Cache) => {
    const t = performance.now();
    const perTile = await Promise.all(tiles.map((m) => timeTile(m, useRollups, cache)));
    return { total: performance.now() - t, perTile };
  };
  const measure = async (label: string, useRollups: boolean, rounds: number, cache: Cache = false) => {
    await refresh(useRollups, cache); // warm-up
    const totals: number[] = [];
    const perTile: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await refresh(useRollups, cache);
      totals.push(r.total);
      perTile.push(...r.perTile);
    }
    const result = {
      p50: percentile(totals, 50),
      p95: percentile(totals, 95),
      tileP95: percentile(perTile, 95),
    };
    console.log(
      `${label.padEnd(34)} 8 tiles together p50 ${ms(result.p50)}, p95 ${ms(result.p95)}; per tile p95 ${ms(result.tileP95)}`,
    );
    return result;
  };

  const idle = await measure('overview via rollups (idle)', true, 20);
  const idleCached = await measure('overview, result cache (idle)', true, 20, sharedResultCache(warehouse));
  // What a dashboard refresh does: every tile's metric in one statement (plus the comparison).
  const combined: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    await runMetricQuery(
      warehouse,
      catalog,
      { metrics: tiles, timeRange: { preset: 'last_30_days' }, compare: 'previous_period' },
      workspace,
      { now: end, cache: false },
    );
    if (i > 0) combined.push(performance.now() - t);
  }
  console.log(
    `${'overview as one query (rollups)'.padEnd(34)} p50 ${ms(percentile(combined, 50))}, p95 ${ms(percentile(combined, 95))}`,
  );
  const raw = await measure('overview from raw tables', false, 5);

  // Ad-hoc breakdown only raw rows can answer: engagement by the hour of the week posts went out.
  const adhoc: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await runMetricQuery(
      warehouse,
      catalog,
      {
        metrics: ['product_events', 'active_users'],
        dimensions: ['hour_of_week'],
        timeRange: { preset: 'last_90_days' },
        timezone: 'Europe/Berlin',
        limit: 200,
      },
      workspace,
      { now: end, cache: false },
    );
    adhoc.push(performance.now() - t);
  }
  console.log(
    `${'ad-hoc breakdown on raw (90 days)'.padEnd(34)} p50 ${ms(percentile(adhoc, 50))}, p95 ${ms(percentile(adhoc, 95))}`,
  );

  // The same overview while live events arrive at 10,000/s in batches of 1,000.
  const simulator = createSimulator({ seed: 9, workspaceId: workspace, days: 90, end });
  let ingesting = true;
  let ingested = 0;
  const ingestStarted = performance.now();
  const ingest = (async () => {
    let n = 0;
    while (ingesting) {
      const due = ingestStarted + (ingested / 10_000) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const batch = simulator.liveEvents(new Date(end.getTime() - 60_000), 1000);
      await insertEvents(warehouse, batch, { dedupToken: `bench-live-${n++}` });
      ingested += batch.length;
    }
  })();
  const loaded = await measure('overview via rollups (ingesting)', true, 20);
  const loadedCached = await measure(
    'overview, result cache (ingesting)',
    true,
    20,
    sharedResultCache(warehouse),
  );
  ingesting = false;
  await ingest;
  const rate = ingested / ((performance.now() - ingestStarted) / 1000);

  console.log('');
  console.log(`rollup speed-up over raw, 8 tiles p50:     ${(raw.p50 / idle.p50).toFixed(1)}x`);
  console.log(
    `one query / 8 separate queries, p50:       ${(percentile(combined, 50) / idle.p50).toFixed(2)}`,
  );
  console.log(
    `under ingestion / idle, 8 tiles p50:       ${(loaded.p50 / idle.p50).toFixed(2)} (target <= 1.5; ingest reached ${Math.round(rate).toLocaleString('en')} ev/s)`,
  );
  console.log(
    `result cache / computed, 8 tiles p50:     ${(idleCached.p50 / idle.p50).toFixed(2)} idle, ${(loadedCached.p50 / loaded.p50).toFixed(2)} ingesting`,
  );
  const verdict = (r: { p95: number; tileP95: number }) =>
    `8 tiles <= 300 ms -> ${r.p95 <= 300 ? 'met' : 'NOT met'} (p95 ${ms(r.p95)}); tile p95 <= 100 ms -> ${r.tileP95 <= 100 ? 'met' : 'NOT met'} (${ms(r.tileP95)})`;
  console.log(`targets, computed:     ${verdict(idle)}`);
  console.log(`targets, result cache: ${verdict(idleCached)}`);
  console.log(`ad-hoc p95 <= 2 s -> ${percentile(adhoc, 95) <= 2000 ? 'met' : 'NOT met'}`);
  await warehouse.close();
  rmSync(dataPath, { recursive: true, force: true });
}
