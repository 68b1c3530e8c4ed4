import { describe, expect, it } from 'vitest';
import { compileMetricQuery } from '../metrics/compile-query.ts';
import { type MetricQueryInput, metricQuerySchema } from '../metrics/query.ts';
import { runOptions } from '../metrics/run-metric-query.ts';
import { resolveTimeRange } from '../metrics/time-range.ts';
import { MASK } from './classify.ts';
import { isRowAllowed, maskRow } from './mask-row.ts';
import { policyCatalog, policyFor, policyRange, policyWorkspace } from './policy-fixture.ts';
import { additionalTableFilters, maskedColumns, policyDimensions } from './table-policy.ts';

const compile = (input: Omit<MetricQueryInput, 'timeRange'>, policy?: ReturnType<typeof policyFor>) => {
  const q = metricQuerySchema.parse({ timeRange: policyRange, ...input });
  const range = resolveTimeRange(q.timeRange, q.timezone, new Date('2026-11-10T00:00:00Z'));
  return compileMetricQuery(q, policyCatalog, range, policyWorkspace, policy);
};
const paramNamesHolding = (params: Record<string, unknown>, value: unknown) =>
  Object.entries(params)
    .filter(([, v]) => JSON.stringify(v) === JSON.stringify(value))
    .map(([k]) => k);

describe('row policies in compiled metric queries', () => {
  it('adds the row filter to every group of metrics whose source carries the dimension', () => {
    const linkedin = policyFor('viewer', [{ dimension: 'platform', values: ['linkedin'] }]);
    const compiled = compile({ metrics: ['impressions', 'followers', 'product_events'] }, linkedin);
    const params = paramNamesHolding(compiled.params, ['linkedin']);
    // impressions (post_activity) and followers carry platform; product events do not.
    expect(compiled.plan.map((p) => p.source)).toEqual(['post_activity', 'followers', 'product_events']);
    const filters = [...compiled.sql.matchAll(/platform IN \{(p\d+):Array\(String\)\}/g)];
    // impressions: its sealed changes and its live part after them; followers: its rollup.
    expect(filters).toHaveLength(3);
    for (const f of filters) expect(params).toContain(f[1]);
    const filter = 'platform IN \\{p\\d+:Array\\(String\\)\\}';
    const sealed = compiled.sql.slice(
      compiled.sql.indexOf('FROM social_post_changes_hour WHERE workspace_id'),
    );
    expect(sealed.slice(0, sealed.indexOf('UNION ALL'))).toMatch(new RegExp(filter));
    const before =
      "WHERE workspace_id = \\{workspace:String\\} AND bucket < \\{to:DateTime64\\(3, 'UTC'\\)\\} AND";
    expect(compiled.sql).toMatch(new RegExp(`FROM social_post_engagement_day ${before} ${filter}`));
    expect(compiled.sql).toMatch(new RegExp(`FROM social_followers_day ${before} ${filter}`));
    const branches = compiled.sql.split('UNION ALL');
    expect(branches.find((b) => b.includes('product_activity'))).not.toContain('platform');
  });

  it('keeps a rollup that carries the dimension and falls back to raw rows when none does', () => {
    const open = compile({ metrics: ['impressions', 'product_events'] });
    expect(open.plan.map((p) => p.rollup)).toEqual(['day', 'day']);
    const filtered = compile(
      { metrics: ['impressions', 'product_events'] },
      policyFor('viewer', [
        { dimension: 'platform', values: ['linkedin'] },
        { dimension: 'country', values: ['DE'] },
      ]),
    );
    const byTable = Object.fromEntries(filtered.plan.map((p) => [p.source, p]));
    expect(byTable.post_activity).toMatchObject({ rollup: 'day', table: 'social_post_engagement_day' });
    // No product rollup carries country: the raw table answers.
    expect(byTable.product_events).toMatchObject({ rollup: null, table: 'product_events' });
    expect(filtered.sql).toContain("JSONExtractString(context, 'location', 'country') IN");
  });

  it('allows no row when a policy allows no value', () => {
    const compiled = compile(
      { metrics: ['won_revenue'] },
      policyFor('viewer', [{ dimension: 'pipeline', values: [] }]),
    );
    expect(compiled.sql).toMatch(/ AND 0\b/);
  });

  it('compiles an admin policy exactly like an unrestricted query', () => {
    const admin = policyFor('admin', [{ dimension: 'platform', values: ['linkedin'] }]);
    const q = { metrics: ['impressions', 'won_revenue'], dimensions: ['owner_id'] };
    expect(() => compile(q, admin)).toThrow(/not available/); // owner_id is not shared: same validation
    const single = { metrics: ['won_revenue'], dimensions: ['owner_id'] };
    expect(compile(single, admin).sql).toBe(compile(single).sql);
  });
});

describe('column classification in compiled metric queries', () => {
  it('masks a dimension above the caller’s clearance as one constant group', () => {
    const compiled = compile(
      { metrics: ['won_revenue'], dimensions: ['owner_id', 'pipeline'] },
      policyFor('viewer'),
    );
    expect(compiled.columns.find((c) => c.name === 'owner_id')).toMatchObject({
      masked: true,
      type: 'string',
    });
    expect(compiled.columns.find((c) => c.name === 'pipeline')?.masked).toBeUndefined();
    expect(Object.values(compiled.params)).toContain(MASK);
    expect(compiled.sql).not.toMatch(/toString\(owner_id\)/);
    // An analyst is cleared for confidential: owner_id shows.
    const analyst = compile({ metrics: ['won_revenue'], dimensions: ['owner_id'] }, policyFor('analyst'));
    expect(analyst.sql).toContain('toString(owner_id)');
  });

  it('refuses a filter on a dimension above the caller’s clearance', () => {
    expect(() =>
      compile(
        { metrics: ['won_revenue'], filters: [{ dimension: 'owner_id', op: 'eq', value: 'own_a' }] },
        policyFor('viewer'),
      ),
    ).toThrow(expect.objectContaining({ code: 'DIMENSION_FORBIDDEN' }));
  });

  it('refuses a metric above clearance, also inside a ratio, and honours workspace overrides', () => {
    const secret = policyFor('analyst', [], { metricClassifications: { won_revenue: 'restricted' } });
    expect(() => compile({ metrics: ['won_revenue'] }, secret)).toThrow(
      expect.objectContaining({ code: 'METRIC_FORBIDDEN' }),
    );
    expect(() => compile({ metrics: ['revenue_per_change'] }, secret)).toThrow(/won_revenue/);
    expect(() => compile({ metrics: ['deal_changes'] }, secret)).not.toThrow();
    // A workspace can lower a default: pipeline made public is visible to a public-cleared role.
    const guest = policyFor('guest', [], {
      clearance: 'public',
      dimensionClassifications: { pipeline: 'public' },
      metricClassifications: { deal_changes: 'public' },
    });
    expect(() => compile({ metrics: ['product_events'] }, guest)).toThrow(/internal/);
    const compiled = compile({ metrics: ['deal_changes'], dimensions: ['pipeline', 'stage'] }, guest);
    expect(compiled.columns.filter((c) => c.masked).map((c) => c.name)).toEqual(['stage']);
  });

  it('refuses a policy resolved for another workspace', () => {
    expect(() =>
      runOptions({ policy: { ...policyFor('viewer'), workspaceId: 'other' } }, policyWorkspace),
    ).toThrow(expect.objectContaining({ code: 'POLICY_FORBIDDEN' }));
  });
});

describe('policies outside the compiler', () => {
  it('builds additional_table_filters with the workspace and quoted values on tables carrying the dimension', () => {
    const value = String(
      additionalTableFilters(
        policyFor('viewer', [{ dimension: 'platform', values: ["o'hara"] }]),
        policyWorkspace,
      ),
    );
    // Values go in hex-encoded (no quoting to get wrong); our own SQL has its quotes doubled.
    const ws = "unhex(''77735f706f6c696379'')"; // ws_policy
    expect(value).toContain(
      `'social_followers':'workspace_id = ${ws} AND toString(platform) IN (unhex(''6f2768617261''))'`,
    );
    expect(value).toContain(`'product_events':'workspace_id = ${ws}'`);
    expect(value).toContain(`'social_post_metrics_day':'workspace_id = ${ws} AND toString(platform) IN`);
    expect(value).not.toContain('\\');
  });

  it('masks raw rows above clearance and checks rows against row filters', () => {
    const viewer = policyFor('viewer', [{ dimension: 'platform', values: ['linkedin'] }]);
    expect(
      maskRow({ platform: 'linkedin', email: 'a@b.c', owner_id: 'own_a', impressions: 3 }, viewer),
    ).toEqual({
      platform: 'linkedin',
      email: MASK,
      owner_id: MASK,
      impressions: 3,
    });
    expect(maskRow({ email: 'a@b.c' }, policyFor('admin')).email).toBe('a@b.c');
    expect(isRowAllowed({ platform: 'linkedin' }, viewer)).toBe(true);
    expect(isRowAllowed({ platform: 'tiktok' }, viewer)).toBe(false);
    expect(isRowAllowed({ deal_id: 'D1' }, viewer)).toBe(false);
    expect(isRowAllowed({ deal_id: 'D1' }, viewer, 'crm_deal_stage_changes')).toBe(true);
    expect(maskedColumns(viewer).crm_entity_events).toContain('email');
  });

  it('offers only dimensions whose expression needs no query parameter', () => {
    const dims = policyDimensions();
    expect(dims).toEqual(expect.arrayContaining(['platform', 'pipeline', 'owner_id', 'country']));
    expect(dims).not.toContain('hour_of_week');
  });
});
