import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createWarehouse,
  insertEvents,
  migrate,
  type MetricQueryInput,
  runFunnel,
  runMetricQuery,
  runRetention,
  type Warehouse,
} from '@pulse/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMetricCatalog } from './catalog.ts';
import { kpiEvents, kpiRange, kpiWorkspace } from './kpi-fixture.ts';

const catalog = loadMetricCatalog().metrics;
const now = new Date('2026-11-20T00:00:00Z');
let warehouse: Warehouse;
let dataPath: string;

beforeAll(async () => {
  dataPath = mkdtempSync(join(tmpdir(), 'pulse-kpi-'));
  warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'pulse_kpi',
    cluster: undefined,
    dataPath,
  });
  await migrate(warehouse);
  await insertEvents(warehouse, kpiEvents);
});
afterAll(async () => {
  await warehouse.close();
  rmSync(dataPath, { recursive: true, force: true });
});

const query = (q: Omit<MetricQueryInput, 'timeRange'> & Partial<Pick<MetricQueryInput, 'timeRange'>>) =>
  runMetricQuery(warehouse, catalog, { timeRange: kpiRange, ...q }, kpiWorkspace, now);

/**
 * Every KPI over the whole window, worked out by hand from kpi-fixture.ts. Deltas of lifetime
 * totals: p1 adds 150/50 impressions on 2 and 3 Nov, p2 adds 1000/500 → 1700.
 */
const expected: Record<string, number> = {
  impressions: 1700,
  reach: 1150, // 120 + 30 + 700 + 300
  likes: 82, // 10 + 2 + 50 + 20
  comments: 15, // 2 + 1 + 10 + 2
  shares: 7, // 1 + 0 + 5 + 1
  clicks: 45, // 4 + 1 + 30 + 10
  engagements: 157, // likes + comments + shares + saves (8) + clicks
  video_views: 600,
  engagement_rate_by_impressions: 157 / 1700,
  engagement_rate_by_reach: 157 / 1150,
  click_through_rate: 45 / 1700,
  followers: 1505, // 1025 + 480 at the end
  follower_growth: 5, // +25 on LinkedIn, -20 on Instagram
  follower_growth_rate: 5 / 1500,
  engagement_rate_by_followers: 157 / 1505,
  engagement_share: 1, // one row: all of it
  posts_published: 1, // p2 (p1 is older, p3 was deleted)
  engagements_by_post_date: 135, // p2's lifetime 70 + 12 + 6 + 7 + 40
  impressions_by_post_date: 1500,
  avg_engagement_per_post: 135,
  new_leads: 3, // L1, L2, L3
  mqls: 2, // L0, L1
  sqls: 1,
  deals_won: 1,
  deals_closed: 2,
  lead_to_mql_rate: 2 / 3,
  mql_to_sql_rate: 1 / 2,
  sql_to_won_rate: 1,
  won_revenue: 1000,
  win_rate: 1 / 2,
  average_deal_size: 1000,
  open_pipeline_value: 5700, // D3 5000 + D4 700
  open_deals: 2,
  won_cycle_days: 13,
  won_deals_by_close: 1,
  sales_cycle_length: 13, // 20 Oct → 2 Nov
  stage_days: 12, // D1 8 days in proposal, D2 4 days in qualification
  stage_exits: 2,
  stage_velocity: 6,
  leads_from_social: 1,
  revenue_from_social: 1000,
  product_events: 7, // u0's event is before the window
  active_users: 3, // u1, u2, a1
  dau: 2.5, // 2 on Monday, 3 on Tuesday
  wau: 3,
  mau: 3,
  stickiness: 2.5 / 3,
  new_users: 1,
  returning_users: 2,
  sessions: 5,
  feature_users: 1,
  feature_adoption: 1 / 3,
  automations_run: 2,
  time_saved: 1140, // 900 + 240 seconds
};

describe('the KPI library on known data', () => {
  it('has a worked-out value for every metric in the catalog', () => {
    expect(Object.keys(expected).sort()).toEqual([...catalog.keys()].sort());
  });

  it.each(Object.entries(expected))('%s', async (metric, value) => {
    for (const useRollups of [true, false]) {
      const result = await query({ metrics: [metric], useRollups });
      expect(result.rows).toHaveLength(1);
      expect(result.rows[0]?.[metric]).toBeCloseTo(value, 9);
    }
  });

  it('answers DAU from the daily-actors rollup, and from the activity rollup when broken down', async () => {
    const plain = await query({ metrics: ['dau'] });
    expect(plain.plan.map((p) => p.table)).toEqual(['product_actors_day']);
    expect(plain.rows[0]?.dau).toBeCloseTo(2.5, 9);
    const byType = await query({ metrics: ['dau'], dimensions: ['type'] });
    expect(byType.plan.map((p) => p.table)).toEqual(['product_activity_day']);
  });

  it('answers engagements and engagement rate from the one-state-per-post engagement rollup', async () => {
    const rate = await query({ metrics: ['engagements', 'engagement_rate_by_impressions'] });
    expect(rate.plan.map((p) => p.table)).toEqual(['social_post_engagement_day']);
    expect(rate.rows[0]?.engagements).toBe(expected.engagements);
    const likes = await query({ metrics: ['likes'] });
    expect(likes.plan.map((p) => p.table)).toEqual(['social_post_metrics_day']);
  });

  it('breaks engagement down by platform with shares that add up to one', async () => {
    const result = await query({ metrics: ['engagements', 'engagement_share'], dimensions: ['platform'] });
    expect(result.rows).toEqual([
      { platform: 'instagram', engagements: 135, engagement_share: 135 / 157 },
      { platform: 'linkedin', engagements: 22, engagement_share: 22 / 157 },
    ]);
  });

  it('gives daily activity-date values and the follower level at the end of each day', async () => {
    const result = await query({ metrics: ['impressions', 'followers', 'follower_growth'], grain: 'day' });
    expect(result.rows).toEqual([
      { time: '2026-11-02 00:00:00', impressions: 1150, followers: 1510, follower_growth: 10 },
      { time: '2026-11-03 00:00:00', impressions: 550, followers: 1505, follower_growth: -5 },
    ]);
  });

  it('lists top posts by lifetime engagement and the best hour of the week to post', async () => {
    const top = await query({
      metrics: ['engagements_by_post_date'],
      dimensions: ['post_id', 'post_text'],
      timeRange: { from: '2026-10-01', to: '2026-11-04' },
      limit: 10,
    });
    expect(top.rows).toEqual([
      { post_id: 'p2', post_text: 'Hello, "world"', engagements_by_post_date: 135 },
      { post_id: 'p1', post_text: 'Launch day', engagements_by_post_date: 40 },
    ]);
    const hours = await query({
      metrics: ['engagements_by_post_date'],
      dimensions: ['publish_hour_of_week'],
      timeRange: { from: '2026-10-01', to: '2026-11-04' },
      timezone: 'Europe/Berlin',
    });
    // p2 went out Monday 09:00 UTC = 10:00 in Berlin (hour 10); p1 Sunday 10:00 UTC = 11:00 (6 × 24 + 11).
    expect(hours.rows).toEqual([
      { publish_hour_of_week: 10, engagements_by_post_date: 135 },
      { publish_hour_of_week: 155, engagements_by_post_date: 40 },
    ]);
  });

  it('breaks stage velocity down by stage and feature users by feature', async () => {
    const velocity = await query({ metrics: ['stage_velocity'], dimensions: ['stage'] });
    expect(velocity.rows).toEqual([
      { stage: 'proposal', stage_velocity: 8 },
      { stage: 'qualification', stage_velocity: 4 },
    ]);
    const features = await query({ metrics: ['feature_users'], dimensions: ['feature'] });
    expect(features.rows).toEqual([{ feature: 'dashboards', feature_users: 1 }]);
  });

  it('attributes leads and revenue to the social platform of their campaign', async () => {
    const result = await query({ metrics: ['new_leads', 'won_revenue'], dimensions: ['campaign_platform'] });
    expect(result.rows).toEqual([
      { campaign_platform: '', new_leads: 2, won_revenue: 0 },
      { campaign_platform: 'linkedin', new_leads: 1, won_revenue: 1000 },
    ]);
  });

  it('compares with the previous period', async () => {
    const result = await query({ metrics: ['new_leads'], compare: 'previous_period' });
    // The two days before the window hold L0 only.
    expect(result.rows[0]).toMatchObject({ new_leads: 3, new_leads__previous: 1, new_leads__change: 2 });
  });

  it('answers a total over a range without data with one row: counts read 0, ratios and levels stay empty', async () => {
    const empty = { from: '2026-06-01', to: '2026-06-08' };
    const totals = await query({ metrics: ['deals_won', 'new_leads', 'win_rate'], timeRange: empty });
    expect(totals.rows).toEqual([{ deals_won: 0, new_leads: 0, win_rate: null }]);
    const followers = await query({ metrics: ['followers'], timeRange: empty });
    expect(followers.rows).toEqual([{ followers: null }]);
    // A breakdown or a series has no rows to show then.
    expect((await query({ metrics: ['new_leads'], dimensions: ['source'], timeRange: empty })).rows).toEqual(
      [],
    );
    expect((await query({ metrics: ['new_leads'], grain: 'day', timeRange: empty })).rows).toEqual([]);
  });

  it('runs an ordered funnel and weekly cohort retention', async () => {
    const funnel = await runFunnel(
      warehouse,
      { steps: ['Signed Up', 'Feature Used', 'Automation Run'], timeRange: kpiRange },
      kpiWorkspace,
      now,
    );
    expect(funnel.steps.map((s) => [s.step, s.users])).toEqual([
      ['Signed Up', 1],
      ['Feature Used', 1],
      ['Automation Run', 0],
    ]);
    const retention = await runRetention(
      warehouse,
      { timeRange: { from: '2026-11-02', to: '2026-11-09' }, weeks: 2 },
      kpiWorkspace,
      now,
    );
    expect(retention.cohorts).toEqual([
      { cohort: '2026-11-02', size: 1, retained: [1, 0, 0], rates: [1, 0, 0] },
    ]);
  });
});
