import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../create-warehouse.ts';
import { runFunnel, runRetention } from '../metrics/analyses.ts';
import type { MetricQueryInput } from '../metrics/query.ts';
import { runMetricQuery } from '../metrics/run-metric-query.ts';
import { insertEvents } from '../rows/insert-rows.ts';
import { createScratchWarehouse, type ScratchWarehouse } from '../testing/scratch-warehouse.ts';
import { MASK } from './classify.ts';
import { policyCatalog, policyEvents, policyFor, policyRange, policyWorkspace } from './policy-fixture.ts';
import { additionalTableFilters } from './table-policy.ts';

let scratch: ScratchWarehouse;
let warehouse: Warehouse;
const now = new Date('2026-11-20T00:00:00Z');

beforeAll(async () => {
  scratch = await createScratchWarehouse();
  warehouse = scratch.warehouse;
  await insertEvents(warehouse, policyEvents, { dedupToken: 'policy-fixture' });
}, 60_000);
afterAll(async () => {
  await scratch.cleanup();
});

type Input = Omit<MetricQueryInput, 'timeRange'>;
const run = (q: Input, policy?: ReturnType<typeof policyFor>) =>
  runMetricQuery(warehouse, policyCatalog, { timeRange: policyRange, ...q }, policyWorkspace, {
    now,
    policy,
  });

const socialTeam = policyFor('viewer', [{ dimension: 'platform', values: ['linkedin', 'tiktok'] }]);

describe('row policies on metric queries (chDB)', () => {
  it('gives a row-filtered caller exactly the filtered totals, through rollups and raw tables', async () => {
    const all = await run({ metrics: ['impressions'] });
    expect(all.rows).toEqual([{ impressions: 1740 }]);
    const filteredByHand = await run({
      metrics: ['impressions'],
      filters: [{ dimension: 'platform', op: 'in', value: ['linkedin', 'tiktok'] }],
    });
    for (const useRollups of [true, false]) {
      const result = await run({ metrics: ['impressions'], useRollups }, socialTeam);
      expect(result.plan[0]?.rollup).toBe(useRollups ? 'day' : null);
      expect(result.rows).toEqual([{ impressions: 240 }]); // 200 linkedin + 40 tiktok
      expect(result.rows).toEqual(filteredByHand.rows);
    }
  });

  it('never shows a value outside the policy, by dimension, by day, with comparison', async () => {
    const result = await run(
      {
        metrics: ['impressions', 'followers'],
        dimensions: ['platform'],
        grain: 'day',
        compare: 'previous_period',
      },
      socialTeam,
    );
    const platforms = new Set(result.rows.map((r) => r.platform));
    expect([...platforms].sort()).toEqual(['linkedin', 'tiktok']);
    const followers = result.rows
      .filter((r) => r.followers !== null)
      .map((r) => [r.time, r.platform, r.followers]);
    expect(followers).toEqual(
      expect.arrayContaining([
        ['2026-11-02 00:00:00', 'tiktok', 70],
        ['2026-11-03 00:00:00', 'linkedin', 1025],
      ]),
    );
    // The previous period (31 Oct – 1 Nov) holds linkedin's first snapshot only: 100 impressions.
    const previousImpressions = result.rows.reduce((s, r) => s + Number(r.impressions__previous ?? 0), 0);
    expect(previousImpressions).toBe(100);
    expect(result.comparison?.sql).toContain('platform IN');
  });

  it('combines policies with AND across dimensions and OR within one', async () => {
    const sales = policyFor('viewer', [
      { dimension: 'pipeline', values: ['enterprise', 'smb'] },
      { dimension: 'owner_id', values: ['own_a'] },
    ]);
    // Won: D1 (enterprise, own_a) 1000; D2 (smb, own_b) is another owner's.
    expect((await run({ metrics: ['won_revenue'] }, sales)).rows).toEqual([{ won_revenue: 1000 }]);
    const enterprise = policyFor('viewer', [{ dimension: 'pipeline', values: ['enterprise'] }]);
    expect((await run({ metrics: ['won_revenue', 'deal_changes'] }, enterprise)).rows).toEqual([
      { won_revenue: 1000, deal_changes: 1 },
    ]);
    // A policy granting no pipeline: nothing the caller may see was won (a total is always a row).
    expect(
      (await run({ metrics: ['won_revenue'] }, policyFor('viewer', [{ dimension: 'pipeline', values: [] }])))
        .rows,
    ).toEqual([{ won_revenue: 0 }]);
  });

  it('reads raw product events when no rollup carries the policy’s dimension', async () => {
    const germany = policyFor('viewer', [{ dimension: 'country', values: ['DE'] }]);
    const result = await run({ metrics: ['product_events', 'active_users'] }, germany);
    expect(result.plan).toMatchObject([{ source: 'product_events', rollup: null }]);
    expect(result.rows).toEqual([{ product_events: 3, active_users: 2 }]); // u1 twice, u3 once
    expect((await run({ metrics: ['product_events'] })).plan[0]?.rollup).toBe('day');
  });

  it('lets an admin see everything whatever the policies say', async () => {
    const admin = policyFor('admin', [{ dimension: 'platform', values: ['linkedin'] }]);
    expect((await run({ metrics: ['impressions'] }, admin)).rows).toEqual([{ impressions: 1740 }]);
    const owners = await run({ metrics: ['won_revenue'], dimensions: ['owner_id'] }, admin);
    expect(owners.rows.map((r) => r.owner_id).sort()).toEqual(['own_a', 'own_b']);
  });
});

describe('column classification on metric queries (chDB)', () => {
  it('groups a masked dimension into one masked value with the full total', async () => {
    const viewer = await run({ metrics: ['won_revenue'], dimensions: ['owner_id'] }, policyFor('viewer'));
    expect(viewer.rows).toEqual([{ owner_id: MASK, won_revenue: 1300 }]);
    expect(viewer.columns.find((c) => c.name === 'owner_id')?.masked).toBe(true);
    const analyst = await run({ metrics: ['won_revenue'], dimensions: ['owner_id'] }, policyFor('analyst'));
    expect(analyst.rows).toEqual([
      { owner_id: 'own_a', won_revenue: 1000 },
      { owner_id: 'own_b', won_revenue: 300 },
    ]);
  });

  it('refuses a filter on a masked dimension and a metric above clearance', async () => {
    await expect(
      run(
        { metrics: ['won_revenue'], filters: [{ dimension: 'owner_id', value: 'own_a' }] },
        policyFor('viewer'),
      ),
    ).rejects.toMatchObject({ code: 'DIMENSION_FORBIDDEN' });
    await expect(
      run(
        { metrics: ['won_revenue'] },
        policyFor('viewer', [], { metricClassifications: { won_revenue: 'confidential' } }),
      ),
    ).rejects.toMatchObject({ code: 'METRIC_FORBIDDEN' });
  });
});

describe('row policies on funnels and retention (chDB)', () => {
  const germany = policyFor('viewer', [{ dimension: 'country', values: ['DE'] }]);
  const steps = { steps: ['Signed Up', 'Feature Used'], timeRange: policyRange };

  it('counts only the people and events the caller may see', async () => {
    const all = await runFunnel(warehouse, steps, policyWorkspace, { now });
    expect(all.steps.map((s) => s.users)).toEqual([3, 2]);
    const de = await runFunnel(warehouse, steps, policyWorkspace, { now, policy: germany });
    expect(de.steps.map((s) => s.users)).toEqual([2, 1]); // u1 converts, u3 does not
    const cohorts = { timeRange: { from: '2026-11-02', to: '2026-11-09' }, weeks: 1 };
    const retentionAll = await runRetention(warehouse, cohorts, policyWorkspace, { now });
    expect(retentionAll.cohorts.map((c) => c.size)).toEqual([3]);
    const retentionDe = await runRetention(warehouse, cohorts, policyWorkspace, { now, policy: germany });
    expect(retentionDe.cohorts.map((c) => c.size)).toEqual([2]);
  });
});

describe('additional_table_filters for hand-written SQL (chDB)', () => {
  // In the query's own SETTINGS clause: on chDB, `clickhouse_settings` become session-wide SETs
  // that would go on filtering every later query of the process.
  const count = async (query: string, policy?: ReturnType<typeof policyFor>) => {
    const settings = policy
      ? ` SETTINGS additional_table_filters = ${additionalTableFilters(policy, policyWorkspace)}`
      : '';
    const result = await warehouse.client.query({
      query: `${query}${settings}`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return (await result.json()) as Record<string, unknown>[];
  };

  it('holds raw tables, rollups and joins to the workspace and the row filters', async () => {
    const policy = policyFor('viewer', [
      { dimension: 'platform', values: ['linkedin'] },
      { dimension: 'country', values: ['DE'] },
    ]);
    expect(await count('SELECT count() AS n FROM product_events', policy)).toEqual([{ n: 3 }]);
    expect(await count('SELECT DISTINCT platform FROM social_post_metrics_day', policy)).toEqual([
      { platform: 'linkedin' },
    ]);
    expect(
      await count(
        `SELECT count() AS n FROM social_post_metrics AS m
         JOIN (SELECT DISTINCT account_id FROM social_followers) AS f ON f.account_id = m.account_id`,
        policy,
      ),
    ).toEqual([{ n: 3 }]); // p1's three snapshots
    // Another workspace's rows are invisible even to an unrestricted caller.
    await insertEvents(
      warehouse,
      policyEvents.slice(0, 1).map((e) => ({ ...e, eventId: 'other-ws', workspaceId: 'ws_other' })),
      { dedupToken: 'policy-other-ws' },
    );
    expect(await count('SELECT count() AS n FROM social_post_metrics', policyFor('admin'))).toEqual([
      { n: 6 },
    ]);
  });
});
