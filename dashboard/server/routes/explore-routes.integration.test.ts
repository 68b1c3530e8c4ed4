import { createLogger, createMetricsRegistry, loadConfig } from '@pulse/core';
import { dataPoliciesRepository } from '@pulse/core/rbac/data-policies';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { kpiEvents, kpiRange, kpiWorkspace, loadMetricCatalog } from '@pulse/models';
import { insertEvents, runMetricQuery } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../http-server.ts';
import { apiKeyCaller, createTestAuth } from '../testing/test-auth.ts';
import { registerExploreRoutes } from './explore-routes.ts';

const otherWorkspace = '0c0ffee0-0000-4000-8000-0000000000b2';
const catalog = loadMetricCatalog().metrics;
let wh: ScratchWarehouse;
let meta: ScratchMetadata;
let app: FastifyInstance;
const callers: Record<'analyst' | 'viewer' | 'editor' | 'admin' | 'otherAnalyst', { authorization: string }> =
  {} as never;
const call = (who: keyof typeof callers, options: InjectOptions) =>
  app.inject({ ...options, headers: { ...callers[who], ...(options.headers ?? {}) } });
const sql = (text: string, who: keyof typeof callers = 'analyst', extra: object = {}) =>
  call(who, { method: 'POST', url: '/api/v1/sql', payload: { sql: text, ...extra } });

const definition = {
  version: 1,
  chart: 'bar',
  query: { metrics: ['impressions'], dimensions: ['platform'], timeRange: kpiRange, timezone: 'UTC' },
};

beforeAll(async () => {
  wh = await createScratchWarehouse({ database: 'pulse_explore' });
  meta = await createScratchMetadata();
  for (const [id, slug] of [
    [kpiWorkspace, 'kpi'],
    [otherWorkspace, 'other'],
  ])
    await meta.store.db.query('INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $2)', [id, slug]);
  await insertEvents(wh.warehouse, kpiEvents, { dedupToken: 'explore-kpi' });
  // The same history without LinkedIn in a second workspace: a leak adds rows, a mix-up loses LinkedIn.
  const other = kpiEvents
    .filter((e) => (e as { platform?: string }).platform !== 'linkedin')
    .map((e) => ({ ...e, eventId: `other-${e.eventId}`, workspaceId: otherWorkspace }));
  await insertEvents(wh.warehouse, other as typeof kpiEvents, { dedupToken: 'explore-other' });
  const auth = createTestAuth(meta.store);
  callers.analyst = await apiKeyCaller(auth, kpiWorkspace, 'analyst');
  callers.viewer = await apiKeyCaller(auth, kpiWorkspace, 'viewer');
  callers.editor = await apiKeyCaller(auth, kpiWorkspace, 'editor');
  callers.admin = await apiKeyCaller(auth, kpiWorkspace, 'admin');
  callers.otherAnalyst = await apiKeyCaller(auth, otherWorkspace, 'analyst');
  // Editors of the KPI workspace see Instagram only.
  await dataPoliciesRepository(meta.store.db).createRowPolicy(kpiWorkspace, {
    name: 'instagram team',
    appliesTo: { role: 'editor' },
    dimension: 'platform',
    values: ['instagram'],
  });
  app = await createHttpServer(
    {
      config: loadConfig({}),
      logger: createLogger({ level: 'silent', serviceName: 'test' }),
      metrics: createMetricsRegistry(),
      version: 'test',
      isDemo: false,
      readiness: [],
      overview: { countsByFamily: async () => [], latestEvents: async () => [] },
    },
    {
      auth,
      registerRoutes: (instance) =>
        registerExploreRoutes(instance, {
          warehouse: wh.warehouse,
          catalog,
          metadata: meta.store,
          sql: { maxRows: 50, timeoutSeconds: 1 },
        }),
    },
  );
  await app.ready();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await wh?.cleanup();
  await meta?.cleanup();
});

describe('saved reports', () => {
  it('saves, reopens, lists, edits with a version check and deletes a report', async () => {
    const created = await call('analyst', {
      method: 'POST',
      url: '/api/v1/reports',
      payload: { title: 'Impressions by platform', definition },
    });
    expect(created.statusCode).toBe(201);
    const report = created.json();
    expect(report).toMatchObject({ title: 'Impressions by platform', version: 1 });
    expect(report.definition.query).toMatchObject({ metrics: ['impressions'], dimensions: ['platform'] });

    const reopened = await call('viewer', { url: `/api/v1/reports/${report.id}` });
    expect(reopened.json().definition).toEqual(report.definition);
    const listed = await call('viewer', { url: '/api/v1/reports' });
    expect(listed.json().reports.map((r: { id: string }) => r.id)).toContain(report.id);

    const renamed = await call('analyst', {
      method: 'PUT',
      url: `/api/v1/reports/${report.id}`,
      payload: { title: 'Impressions per platform', version: 1 },
    });
    expect(renamed.json()).toMatchObject({ title: 'Impressions per platform', version: 2 });
    const stale = await call('analyst', {
      method: 'PUT',
      url: `/api/v1/reports/${report.id}`,
      payload: { definition: { ...definition, chart: 'pie' }, version: 1 },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.hint).toMatch(/Reload/);

    expect(
      (await call('analyst', { method: 'DELETE', url: `/api/v1/reports/${report.id}` })).statusCode,
    ).toBe(204);
    expect((await call('viewer', { url: `/api/v1/reports/${report.id}` })).statusCode).toBe(404);
  });

  it('keeps reports to their workspace: another workspace gets 404, not the report', async () => {
    const report = (
      await call('analyst', {
        method: 'POST',
        url: '/api/v1/reports',
        payload: { title: 'Mine', definition },
      })
    ).json();
    expect((await call('otherAnalyst', { url: `/api/v1/reports/${report.id}` })).statusCode).toBe(404);
    const put = await call('otherAnalyst', {
      method: 'PUT',
      url: `/api/v1/reports/${report.id}`,
      payload: { title: 'Stolen', version: 1 },
    });
    expect(put.statusCode).toBe(404);
    const theirs = (await call('otherAnalyst', { url: '/api/v1/reports' })).json().reports;
    expect(theirs.map((r: { id: string }) => r.id)).not.toContain(report.id);
  });

  it('refuses invalid definitions with a hint naming the problem', async () => {
    const post = (payload: object) => call('analyst', { method: 'POST', url: '/api/v1/reports', payload });
    const noMetric = await post({
      title: 'x',
      definition: { ...definition, query: { ...definition.query, metrics: [] } },
    });
    expect(noMetric.statusCode).toBe(400);
    expect(noMetric.json().error.hint).toContain('query.metrics: pick at least one metric');
    const unknown = await post({
      title: 'x',
      definition: { ...definition, query: { ...definition.query, metrics: ['impresions'] } },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('unknown metric "impresions"');
    const badDimension = await post({
      title: 'x',
      definition: { ...definition, query: { ...definition.query, dimensions: ['pipeline'] } },
    });
    expect(badDimension.statusCode).toBe(400);
    expect(badDimension.json().error.hint).toMatch(/"impressions" allows: platform/);
    expect((await post({ definition })).statusCode).toBe(400);
  });

  it('lets viewers read reports and their numbers, but not save them or explore', async () => {
    const res = await call('viewer', {
      method: 'POST',
      url: '/api/v1/reports',
      payload: { title: 'x', definition },
    });
    expect(res.statusCode).toBe(403);
    const preview = await call('viewer', {
      method: 'POST',
      url: '/api/v1/explore/preview',
      payload: definition,
    });
    expect(preview.statusCode).toBe(403);
    const report = (
      await call('analyst', {
        method: 'POST',
        url: '/api/v1/reports',
        payload: { title: 'Shared', definition },
      })
    ).json();
    const result = await call('viewer', { url: `/api/v1/reports/${report.id}/result` });
    expect(result.statusCode).toBe(200);
    expect(result.json().rows).toEqual(
      (await runMetricQuery(wh.warehouse, catalog, definition.query, kpiWorkspace)).rows,
    );
    expect((await call('otherAnalyst', { url: `/api/v1/reports/${report.id}/result` })).statusCode).toBe(404);
  });
});

describe('Explore preview', () => {
  it('answers what the metric layer answers for the same query, in the caller’s workspace', async () => {
    const res = await call('analyst', {
      method: 'POST',
      url: '/api/v1/explore/preview',
      payload: definition,
    });
    expect(res.statusCode).toBe(200);
    const direct = await runMetricQuery(wh.warehouse, catalog, definition.query, kpiWorkspace);
    expect(res.json().rows).toEqual(direct.rows);
    expect(res.json().rows.length).toBeGreaterThan(0);
    expect(
      res
        .json()
        .rows.map((r: { platform: string }) => r.platform)
        .sort(),
    ).toEqual(['instagram', 'linkedin']);
    const theirs = await call('otherAnalyst', {
      method: 'POST',
      url: '/api/v1/explore/preview',
      payload: definition,
    });
    expect(theirs.json().rows).toEqual(
      (await runMetricQuery(wh.warehouse, catalog, definition.query, otherWorkspace)).rows,
    );
    expect(theirs.json().rows.map((r: { platform: string }) => r.platform)).toEqual(['instagram']);
  });
});

describe('SQL tab', () => {
  const count = async (text: string, who: keyof typeof callers = 'analyst') => {
    const res = await sql(text, who);
    expect(res.statusCode, res.body).toBe(200);
    return Number(res.json().rows[0][0]);
  };
  const direct = async (text: string, ws: string) =>
    Number(
      (
        await (
          await wh.warehouse.client.query({ query: text, query_params: { ws }, format: 'JSONCompact' })
        ).json<unknown[]>()
      ).data[0]![0],
    );

  it('lists the served tables and their columns, rollups included, never the ledger or views', async () => {
    const res = await call('analyst', { url: '/api/v1/sql/schema' });
    expect(res.statusCode).toBe(200);
    const tables = res.json().tables as { name: string; kind: string; columns: { name: string }[] }[];
    const names = tables.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['product_events', 'social_post_metrics', 'social_post_metrics_day']),
    );
    expect(names).not.toContain('pulse_migrations');
    expect(names.some((n) => n.endsWith('_mv'))).toBe(false);
    expect(tables.find((t) => t.name === 'social_post_metrics_day')?.kind).toBe('rollup');
    expect(tables.find((t) => t.name === 'social_posts')?.columns.map((c) => c.name)).toContain('post_id');
  });

  it('runs a query and returns typed columns and rows', async () => {
    const res = await sql(
      'SELECT platform, count() AS posts FROM social_posts GROUP BY platform ORDER BY platform',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().columns).toEqual([
      { name: 'platform', type: 'LowCardinality(String)' },
      { name: 'posts', type: 'UInt64' },
    ]);
    expect(res.json().rows).toEqual([
      ['instagram', 3],
      ['linkedin', 1],
    ]);
    expect(res.json().tables).toEqual(['social_posts']);
    // No FROM: ClickHouse reads its one-row system.one, which the checks let through.
    expect((await sql('SELECT 1 + 1 AS two')).json().rows).toEqual([[2]]);
  });

  it('shows only the caller’s workspace, through subqueries, joins, CTEs, unions and rollups', async () => {
    const own = await direct(
      'SELECT count() FROM social_post_metrics WHERE workspace_id = {ws:String}',
      kpiWorkspace,
    );
    expect(own).toBeGreaterThan(0);
    expect(await count('SELECT count() FROM social_post_metrics')).toBe(own);
    expect(
      await count(`SELECT count() FROM social_post_metrics WHERE workspace_id = '${otherWorkspace}'`),
    ).toBe(0);
    expect(await count('SELECT count() FROM (SELECT * FROM social_post_metrics)')).toBe(own);
    expect(
      await count('WITH m AS (SELECT post_id FROM pulse_explore.social_post_metrics) SELECT count() FROM m'),
    ).toBe(own);
    expect(
      await count(
        'SELECT count() FROM social_post_metrics m JOIN social_posts p ON m.post_id = p.post_id WHERE p.workspace_id != m.workspace_id',
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count() FROM (SELECT workspace_id FROM social_post_metrics UNION ALL SELECT workspace_id FROM social_posts) WHERE workspace_id = '${otherWorkspace}'`,
      ),
    ).toBe(0);
    const rollup = 'SELECT sum(events) FROM product_activity_day';
    const ownRollup = await direct(`${rollup} WHERE workspace_id = {ws:String}`, kpiWorkspace);
    expect(ownRollup).toBeGreaterThan(0);
    expect(await count(rollup)).toBe(ownRollup);
    expect(await count(rollup, 'otherAnalyst')).toBe(
      await direct(`${rollup} WHERE workspace_id = {ws:String}`, otherWorkspace),
    );
  });

  it('refuses to let a query lift the workspace filter or write', async () => {
    const refused = async (text: string, message: RegExp) => {
      const res = await sql(text);
      expect(res.statusCode, text).toBe(400);
      expect(res.json().error.message, text).toMatch(message);
      expect(res.json().error.hint, text).toBeTruthy();
    };
    await refused(
      "SELECT count() FROM (SELECT * FROM social_posts SETTINGS additional_table_filters = {'social_posts': '1'})",
      /SETTINGS clause/,
    );
    await refused('SELECT 1 SETTINGS readonly = 0', /SETTINGS clause/);
    await refused('SELECT 1; DROP TABLE social_posts', /one statement/);
    await refused("INSERT INTO social_posts (event_id) VALUES ('x')", /only SELECT/);
    await refused('DROP TABLE social_posts', /only SELECT/);
    await refused('SELECT name FROM system.tables', /database system/);
    await refused('SELECT count() FROM pulse_migrations', /pulse_migrations is not available/);
    await refused("SELECT * FROM merge('pulse_explore', '^social')", /table function merge/);
    await refused("SELECT file('/etc/hostname')", /function file/);
    await refused(
      "SELECT 1 FROM social_posts WHERE event_id IN (SELECT * FROM url('http://127.0.0.1/'))",
      /table function url/,
    );
    await refused('SELECT 1 FORMAT JSON', /FORMAT/);
    await refused("SELECT 'unterminated", /not closed/);
    // Still one table per workspace afterwards: nothing above changed the engine's session.
    expect(await count('SELECT count() FROM social_post_metrics')).toBe(
      await direct('SELECT count() FROM social_post_metrics WHERE workspace_id = {ws:String}', kpiWorkspace),
    );
  });

  it('explains ClickHouse errors with its own message and a hint', async () => {
    const res = await sql('SELECT impresions FROM social_post_metrics');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'SQL_QUERY_INVALID' });
    expect(res.json().error.message).toMatch(/Unknown expression identifier `impresions`/);
    expect(res.json().error.hint).toMatch(/schema browser/);
  });

  it('leaves nothing of a query that failed mid-run for the next query on the engine', async () => {
    const failed = await sql('SELECT sum(throwIf(number > 200000)) FROM numbers(1000000)');
    expect(failed.statusCode).toBe(400);
    expect(failed.json().error.message).toMatch(/throwIf/);
    // The engine's next query (anyone's) gets its own answer, not the failed query's partial output.
    const next = await wh.warehouse.client.query({ query: 'SELECT 42 AS answer', format: 'JSONEachRow' });
    expect(await next.json()).toEqual([{ answer: 42 }]);
  });

  it('caps rows and time', async () => {
    const limited = await sql('SELECT number FROM numbers(1000)', 'analyst', { maxRows: 7 });
    expect(limited.json().rows).toHaveLength(7);
    expect(limited.json().truncated).toBe(true);
    const capped = await sql('SELECT number FROM numbers(1000)', 'analyst', { maxRows: 5000 });
    expect(capped.json().rows).toHaveLength(50);
    const slow = await sql('SELECT count() FROM numbers(100000000000) WHERE NOT ignore(sipHash64(number))');
    expect(slow.statusCode).toBe(400);
    expect(slow.json().error.code).toBe('SQL_TIMEOUT_INVALID');
    expect(slow.json().error.hint).toMatch(/time limit/);
  });

  it('applies the caller’s row policy and refuses columns above their clearance', async () => {
    const platforms = async (who: keyof typeof callers) => {
      const res = await sql('SELECT DISTINCT platform FROM social_posts ORDER BY platform', who);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().rows.flat();
    };
    expect(await platforms('analyst')).toEqual(['instagram', 'linkedin']);
    expect(await platforms('editor')).toEqual(['instagram']);
    const sub = await sql(
      "SELECT count() FROM social_post_metrics m JOIN social_posts p USING post_id WHERE p.platform = 'linkedin'",
      'editor',
    );
    expect(sub.json().rows).toEqual([[0]]);

    // user_id is restricted: analysts (confidential clearance) may not read it, admins may.
    const refused = await sql('SELECT count(DISTINCT user_id) FROM (SELECT user_id FROM product_events)');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'SQL_COLUMN_FORBIDDEN' });
    expect(refused.json().error.message).toContain('product_events.user_id');
    expect((await sql('SELECT count(DISTINCT user_id) FROM product_events', 'admin')).statusCode).toBe(200);
    const schema = (await call('analyst', { url: '/api/v1/sql/schema' })).json();
    const userId = schema.tables
      .find((t: { name: string }) => t.name === 'product_events')
      .columns.find((c: { name: string }) => c.name === 'user_id');
    expect(userId.restricted).toBe(true);
  });

  it('is open to analysts only', async () => {
    expect((await sql('SELECT 1', 'viewer')).statusCode).toBe(403);
    expect((await call('viewer', { url: '/api/v1/sql/schema' })).statusCode).toBe(403);
  });
});
