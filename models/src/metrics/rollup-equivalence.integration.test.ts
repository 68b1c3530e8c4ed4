import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDemoHistory } from '@pulse/ingest/demo/load-demo';
import {
  allowedDimensions,
  allowedGrains,
  createWarehouse,
  type Grain,
  insertRows,
  type MetricQueryInput,
  migrate,
  runMetricQuery,
  sealFinishedDays,
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
  // Snapshot metrics with sealed changes (open pipeline has no rollup but a changes table).
  'reach',
  'likes',
  'open_pipeline_value',
  'open_deals',
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

/** Runs `count` random queries both ways and expects equal answers; returns how they were answered. */
async function compareRandomQueries(seed: number, count: number) {
  const random = prng(seed);
  let answeredByRollup = 0;
  let answeredBySeal = 0;
  let nonEmpty = 0;
  for (let i = 0; i < count; i++) {
    const q = randomQuery(random);
    const viaRollups = await runMetricQuery(warehouse, catalog, { ...q, useRollups: true }, workspace, end);
    const raw = await runMetricQuery(warehouse, catalog, { ...q, useRollups: false }, workspace, end);
    if (viaRollups.plan.some((p) => p.rollup !== null)) answeredByRollup++;
    if (viaRollups.plan.some((p) => p.sealed)) answeredBySeal++;
    expect(raw.plan.every((p) => p.rollup === null && !p.sealed)).toBe(true);
    const label = `query ${i} (seed ${seed}): ${JSON.stringify(q)}`;
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
  return { answeredByRollup, answeredBySeal, nonEmpty };
}

describe('rollups answer like the raw tables', () => {
  it('for 60 random queries over the demo data', async () => {
    const { answeredByRollup, nonEmpty } = await compareRandomQueries(20261124, 60);
    // The property means something only if rollups actually answered most of the queries.
    expect(answeredByRollup).toBeGreaterThan(30);
    expect(nonEmpty).toBeGreaterThan(45);
  }, 240_000);

  it('with sealed changes for the first 30 days, and after a late snapshot lands in a sealed day', async () => {
    // Days before `now` are sealed; the last two weeks stay live, so queries mix both parts.
    const sealedUntil = new Date(end.getTime() - 14 * day);
    const sealed = await sealFinishedDays(warehouse, { now: sealedUntil, workspaceId: workspace });
    expect(sealed.map((r) => r.source).sort()).toEqual([
      'deal_states',
      'post_activity',
      'product_actors_day',
    ]);
    expect(sealed.every((r) => r.days > 20)).toBe(true);
    const before = await compareRandomQueries(7, 40);
    expect(before.answeredBySeal).toBeGreaterThan(12);
    expect(before.nonEmpty).toBeGreaterThan(30);

    // A late snapshot of a post, 20 days back (a sealed day): the day's count no longer matches its
    // seal, so that day on is computed from the rollups until the job seals it again.
    const late = await warehouse.client
      .query({
        query: `SELECT post_id, platform, account_id, max(impressions) AS impressions
                FROM social_post_metrics WHERE workspace_id = {ws:String} AND timestamp < {at:DateTime64(3)}
                GROUP BY post_id, platform, account_id ORDER BY impressions DESC LIMIT 1`,
        query_params: { ws: workspace, at: sealedUntil.getTime() / 1000 - 20 * 86_400 },
        format: 'JSONEachRow',
      })
      .then((r) => r.json<{ post_id: string; platform: string; account_id: string; impressions: string }>());
    const post = late[0];
    if (!post) throw new Error('no post to report late');
    const lateAt = new Date(sealedUntil.getTime() - 20 * day + 3_600_000);
    const tile = {
      metrics: ['impressions'],
      timeRange: {
        from: new Date(lateAt.getTime() - 3_600_000).toISOString(),
        to: sealedUntil.toISOString(),
      },
    };
    const impressions = async (useRollups: boolean) =>
      (await runMetricQuery(warehouse, catalog, { ...tile, useRollups }, workspace, end)).rows[0]
        ?.impressions;
    const was = await impressions(true);
    await insertRows(warehouse, 'social_post_metrics', [
      {
        event_id: 'late-snapshot-1',
        workspace_id: workspace,
        platform: post.platform,
        account_id: post.account_id,
        post_id: post.post_id,
        timestamp: lateAt.toISOString().replace('T', ' ').replace('Z', ''),
        impressions: Number(post.impressions) + 1_000_000,
        reach: 0,
        likes: 0,
        comments: 0,
        shares: 0,
        saves: 0,
        clicks: 0,
        video_views: 0,
        properties: '{}',
      },
    ]);
    const now = await impressions(true);
    expect(now).toBe(await impressions(false));
    expect(now).not.toBe(was);
    // And a late product event of someone new on that day: DAU counts them at once.
    const dau = async (useRollups: boolean) =>
      (await runMetricQuery(warehouse, catalog, { ...tile, metrics: ['dau'], useRollups }, workspace, end))
        .rows[0]?.dau;
    const dauWas = await dau(true);
    await warehouse.client.command({
      query: `INSERT INTO product_events SELECT * REPLACE ('late-event-1' AS event_id, 'late-person' AS actor_id,
                'late-person' AS anonymous_id, '' AS user_id)
              FROM product_events WHERE workspace_id = {ws:String} AND timestamp >= {at:DateTime64(3)} LIMIT 1`,
      query_params: { ws: workspace, at: lateAt.getTime() / 1000 },
    });
    expect(await dau(true)).toBe(await dau(false));
    expect(await dau(true)).not.toBe(dauWas);
    const after = await compareRandomQueries(8, 25);
    expect(after.answeredBySeal).toBeGreaterThan(6);

    // Sealing again rewrites from that day's month on, and the answers still agree.
    const resealed = await sealFinishedDays(warehouse, { now: sealedUntil, workspaceId: workspace });
    expect(resealed.find((r) => r.source === 'post_activity')?.days).toBeGreaterThan(0);
    expect(resealed.find((r) => r.source === 'deal_states')?.days).toBe(0);
    expect(resealed.find((r) => r.source === 'product_actors_day')?.days).toBeGreaterThan(0);
    expect(await impressions(true)).toBe(now);
    await compareRandomQueries(9, 25);
  }, 300_000);
});
