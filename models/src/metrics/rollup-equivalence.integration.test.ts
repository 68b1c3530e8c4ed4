import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDemoHistory } from '@pulse/ingest/demo/load-demo';
import {
  allowedDimensions,
  allowedGrains,
  createWarehouse,
  type Grain,
  type MetricQueryInput,
  migrate,
  runMetricQuery,
  type Warehouse,
} from '@pulse/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMetricCatalog } from './catalog.ts';

/**
 * Property: for random queries over the demo workspace, the answer through rollups equals the
 * answer from the raw tables. Seeded, so a failure names a query that can be replayed.
 */
const catalog = loadMetricCatalog().metrics;
const workspace = 'ws_demo';
const end = new Date('2026-11-20T00:00:00Z');
let warehouse: Warehouse;
let dataPath: string;

beforeAll(async () => {
  dataPath = mkdtempSync(join(tmpdir(), 'pulse-rollup-'));
  warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'pulse_rollup',
    cluster: undefined,
    dataPath,
  });
  await migrate(warehouse);
  await loadDemoHistory({ warehouse, workspaceId: workspace, config: { seed: 11, days: 45 } as never, end });
}, 120_000);
afterAll(async () => {
  await warehouse.close();
  rmSync(dataPath, { recursive: true, force: true });
});

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  return { next, pick };
}

// Metrics whose sources have rollups (the others always read raw tables, nothing to compare).
const rolledUp = [
  'impressions',
  'engagements',
  'engagement_rate_by_impressions',
  'video_views',
  'followers',
  'follower_growth',
  'new_leads',
  'mqls',
  'lead_to_mql_rate',
  'won_revenue',
  'win_rate',
  'deals_won',
  'product_events',
  'active_users',
  'dau',
  'sessions',
  'feature_users',
  'time_saved',
  'automations_run',
  'leads_from_social',
];
const zones = ['UTC', 'UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata'];
const day = 86_400_000;

function randomQuery(random: ReturnType<typeof prng>): MetricQueryInput {
  const metric = random.pick(rolledUp);
  const m = catalog.get(metric);
  if (!m) throw new Error(metric);
  const grain =
    random.next() < 0.3 ? undefined : random.pick(allowedGrains(m, catalog).filter((g) => g !== 'minute'));
  const dims = allowedDimensions(m, catalog).filter((d) => !['post_id', 'account_id', 'user_id'].includes(d));
  const dimension = dims.length && random.next() < 0.6 ? [random.pick(dims)] : [];
  const timezone = random.pick(zones);
  const lengthDays = 1 + Math.floor(random.next() * 30);
  const startDay = Math.floor(random.next() * (44 - lengthDays));
  // Whole UTC days or whole hours, so rollups can answer when the zone allows it.
  const hourShift = random.next() < 0.3 ? Math.floor(random.next() * 24) * 3_600_000 : 0;
  const from = new Date(end.getTime() - 44 * day + startDay * day + hourShift);
  const to = new Date(from.getTime() + lengthDays * day);
  return {
    metrics: [metric],
    dimensions: dimension,
    timeRange: { from: from.toISOString(), to: to.toISOString() },
    timezone,
    ...(grain ? { grain: grain as Grain } : {}),
    limit: 10_000,
  };
}

describe('rollups answer like the raw tables', () => {
  it('for 60 random queries over the demo data', async () => {
    const random = prng(20261124);
    let answeredByRollup = 0;
    let nonEmpty = 0;
    for (let i = 0; i < 60; i++) {
      const q = randomQuery(random);
      const viaRollups = await runMetricQuery(warehouse, catalog, { ...q, useRollups: true }, workspace, end);
      const raw = await runMetricQuery(warehouse, catalog, { ...q, useRollups: false }, workspace, end);
      if (viaRollups.plan.some((p) => p.rollup !== null)) answeredByRollup++;
      expect(raw.plan.every((p) => p.rollup === null)).toBe(true);
      const label = `query ${i}: ${JSON.stringify(q)}`;
      expect(viaRollups.rows.length, label).toBe(raw.rows.length);
      if (raw.rows.length > 0) nonEmpty++;
      viaRollups.rows.forEach((row, r) => {
        const expected = raw.rows[r] ?? {};
        for (const [key, value] of Object.entries(row)) {
          if (typeof value === 'number')
            expect(value, `${label} row ${r} ${key}`).toBeCloseTo(expected[key] as number, 6);
          else expect(value, `${label} row ${r} ${key}`).toBe(expected[key]);
        }
      });
    }
    // The property means something only if rollups actually answered most of the queries.
    expect(answeredByRollup).toBeGreaterThan(30);
    expect(nonEmpty).toBeGreaterThan(45);
  }, 240_000);
});
