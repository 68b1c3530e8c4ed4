import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createMetricsRegistry, isPulseError, type Registry } from '@pulse/core';
import { dataPoliciesRepository } from '@pulse/core/rbac/data-policies';
import { builtInRoles } from '@pulse/core/rbac/permissions';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { kpiEvents, kpiRange, kpiWorkspace, loadMetricCatalog } from '@pulse/models';
import { insertEvents, runMetricQuery } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../auth/access.ts';
import type { DashboardSnapshot } from '../dashboards/dashboard-live.ts';
import { loadBuiltInDashboards } from '../dashboards/dashboard-store.ts';
import { registerDashboardRoutes } from './dashboards-routes.ts';

let wh: ScratchWarehouse;
let meta: ScratchMetadata;
let app: FastifyInstance;
let metrics: Registry;
/** Set by a test to act as a custom role. */
let permissions: Principal['permissions'] = builtInRoles.editor;
let role = 'editor';
const catalog = loadMetricCatalog().metrics;
const range = `from=${kpiRange.from}&to=${kpiRange.to}&tz=UTC`;
/** Posts are dated by publishing, which in the fixture comes before the KPI window. */
const year = 'from=2026-01-01&to=2027-01-01&tz=UTC';

beforeAll(async () => {
  wh = await createScratchWarehouse({ database: 'pulse_dash' });
  meta = await createScratchMetadata();
  await meta.store.db.query('INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3)', [
    kpiWorkspace,
    'kpi',
    'KPI',
  ]);
  await insertEvents(wh.warehouse, kpiEvents, { dedupToken: 'dashboards-kpi' });
  metrics = createMetricsRegistry();
  const logger = createLogger({ level: 'silent', serviceName: 'test' });
  // Its own small app (not createHttpServer) so this test needs no auth setup: the onRequest
  // hook stands in for the auth hook, and the error handler maps codes as the real one does.
  app = Fastify({ forceCloseConnections: true });
  app.addHook('onRequest', async (request) => {
    request.principal = {
      kind: 'user',
      userId: null,
      email: 'ada@example.com',
      workspaceId: kpiWorkspace,
      role,
      permissions,
      attributes: {},
      isInstanceAdmin: false,
    } satisfies Principal;
  });
  app.setErrorHandler((err, _request, reply) => {
    if (!isPulseError(err)) return reply.status(500).send({ error: { message: (err as Error).message } });
    const status = /_INVALID$|^INVALID_/.test(err.code)
      ? 400
      : err.code.endsWith('_NOT_FOUND')
        ? 404
        : err.code.endsWith('_CONFLICT')
          ? 409
          : err.code.endsWith('_FORBIDDEN')
            ? 403
            : 500;
    return reply.status(status).send({ error: { code: err.code, message: err.message, hint: err.hint } });
  });
  registerDashboardRoutes(app, {
    warehouse: wh.warehouse,
    catalog,
    metadata: meta.store,
    metrics,
    logger,
    pipeline: async () => ({ ratePerSecond: 12, lag: 3, freshnessP95Seconds: 0.8, deadLettered: 1 }),
    liveIntervalMs: 300,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await wh?.cleanup();
  await meta?.cleanup();
});

const get = (url: string) => app.inject({ url });
const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  app.inject({ method, url, ...(payload ? { payload } : {}) });
const counter = async (name: string) =>
  ((await metrics.getSingleMetricAsString(name)).match(/\} (\d+)$/gm) ?? []).reduce(
    (sum, m) => sum + Number(m.slice(2)),
    0,
  );

describe('dashboards API', () => {
  it('lists the five built-in dashboards for a workspace and opens each with data in every tile', async () => {
    const list = (await get('/api/v1/dashboards')).json().dashboards as { slug: string; builtIn: boolean }[];
    expect(list.map((d) => d.slug)).toEqual(loadBuiltInDashboards().map((d) => d.slug));
    expect(list.every((d) => d.builtIn)).toBe(true);
    for (const { slug } of list) {
      const res = await get(`/api/v1/dashboards/${slug}/data?${range}`);
      expect(res.statusCode, slug).toBe(200);
      const snapshot = res.json() as DashboardSnapshot;
      expect(
        snapshot.tiles.filter((t) => t.status === 'error').map((t) => [t.id, t.error]),
        slug,
      ).toEqual([]);
    }
  });

  it('renders the same numbers the metric API answers for the same query', async () => {
    const snapshot = (
      await get(`/api/v1/dashboards/executive-overview/data?${range}&compare=1`)
    ).json() as DashboardSnapshot;
    const tile = snapshot.tiles.find((t) => t.id === 'engagements');
    const api = await runMetricQuery(
      wh.warehouse,
      catalog,
      { metrics: ['engagements'], timeRange: kpiRange, compare: 'previous_period' },
      kpiWorkspace,
    );
    expect(tile?.metric?.rows[0]?.engagements).toBe(api.rows[0]?.engagements);
    expect(tile?.metric?.rows[0]?.engagements__change).toBe(api.rows[0]?.engagements__change);
    expect(Number(tile?.metric?.rows[0]?.engagements)).toBeGreaterThan(0);
    expect(tile?.metric?.sparkline?.length).toBe(2);
  });

  it('reads all tiles of a dashboard in one warehouse statement per refresh', async () => {
    const before = await counter('pulse_dashboard_warehouse_statements_total');
    const snapshot = (
      await get(`/api/v1/dashboards/social-performance/data?${range}&compare=0`)
    ).json() as DashboardSnapshot;
    expect(snapshot.tiles.length).toBe(9);
    expect(snapshot.statements).toBe(1);
    expect((await counter('pulse_dashboard_warehouse_statements_total')) - before).toBe(1);
  });

  it('applies a filter to every tile of the dashboard', async () => {
    const all = (
      await get(`/api/v1/dashboards/social-performance/data?${range}&compare=0`)
    ).json() as DashboardSnapshot;
    const linkedin = (
      await get(`/api/v1/dashboards/social-performance/data?${range}&compare=0&f=platform:eq:linkedin`)
    ).json() as DashboardSnapshot;
    for (const tile of linkedin.tiles) {
      expect(tile.filtersNotApplied, tile.id).toBeUndefined();
      expect(JSON.stringify(tile.metric?.rows), tile.id).not.toBe(
        JSON.stringify(all.tiles.find((t) => t.id === tile.id)?.metric?.rows),
      );
    }
    const bad = await get(`/api/v1/dashboards/social-performance/data?${range}&f=country:eq:de`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.hint).toBe('filter on one of: platform');
  });

  it('shares one refresh among 200 live viewers', async () => {
    const { port } = app.server.address() as AddressInfo;
    const url = `/api/v1/dashboards/executive-overview/live?${range}&compare=1`;
    const refreshesBefore = await counter('pulse_dashboard_refreshes_total');
    const statementsBefore = await counter('pulse_dashboard_warehouse_statements_total');
    const received: number[] = Array(200).fill(0);
    const requests = received.map((_, i) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: url }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          received[i] = (received[i] ?? 0) + (chunk.match(/event: snapshot/g)?.length ?? 0);
        });
      });
      req.end();
      return req;
    });
    await expect.poll(() => received.every((n) => n >= 3), { timeout: 30_000, interval: 100 }).toBe(true);
    for (const req of requests) req.destroy();
    const refreshes = (await counter('pulse_dashboard_refreshes_total')) - refreshesBefore;
    const statements = (await counter('pulse_dashboard_warehouse_statements_total')) - statementsBefore;
    // Every viewer saw ≥ 3 snapshots; one per viewer would be ≥ 600 refreshes.
    expect(refreshes).toBeLessThan(Math.max(...received) + 3);
    expect(statements / refreshes).toBeLessThanOrEqual(2);
  });

  it('adds, removes, duplicates, exports and imports dashboards as versioned files', async () => {
    const report = await meta.store.reports.create({
      workspaceId: kpiWorkspace,
      title: 'LinkedIn clicks',
      definition: { query: { metrics: ['clicks'], dimensions: ['platform'] } },
    });
    const copy = await send('POST', '/api/v1/dashboards/social-performance/duplicate', { slug: 'my-social' });
    expect(copy.statusCode).toBe(201);
    const added = await send('POST', '/api/v1/dashboards/my-social/tiles', {
      type: 'bar',
      title: 'Clicks',
      data: { kind: 'report', reportId: report.id },
      layout: { w: 6, h: 2 },
    });
    expect(added.statusCode).toBe(201);
    const tileId = added.json().tile.id as string;
    const snapshot = (
      await get(`/api/v1/dashboards/my-social/data?${range}&compare=0`)
    ).json() as DashboardSnapshot;
    const clicks = await runMetricQuery(
      wh.warehouse,
      catalog,
      { metrics: ['clicks'], dimensions: ['platform'], timeRange: kpiRange },
      kpiWorkspace,
    );
    expect(snapshot.tiles.find((t) => t.id === tileId)?.metric?.rows).toEqual(clicks.rows);

    const yaml = await get('/api/v1/dashboards/my-social/export');
    expect(yaml.headers['content-disposition']).toContain('my-social.dashboard.yaml');
    expect(yaml.body).toMatch(/^version: 1$/m);
    const imported = await send('POST', '/api/v1/dashboards/import', {
      content: yaml.body.replace('slug: my-social', 'slug: imported'),
    });
    expect(imported.statusCode).toBe(201);
    expect(imported.json().definition.tiles.map((t: { id: string }) => t.id)).toContain(tileId);
    expect((await send('POST', '/api/v1/dashboards/import', { content: yaml.body })).statusCode).toBe(409);

    const removed = await send('DELETE', `/api/v1/dashboards/my-social/tiles/${tileId}`);
    expect(removed.json().definition.tiles.map((t: { id: string }) => t.id)).not.toContain(tileId);
    expect((await send('DELETE', '/api/v1/dashboards/imported')).statusCode).toBe(204);
    expect((await send('DELETE', '/api/v1/dashboards/social-performance')).statusCode).toBe(409);
  });

  it('refuses invalid definitions and stale revisions with a hint', async () => {
    const bad = await send('POST', '/api/v1/dashboards', {
      version: 1,
      slug: 'x',
      title: 'X',
      tiles: [{ id: 'a', type: 'funnel', title: 'A', data: { kind: 'pipeline', view: 'stats' } }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.hint).toContain('tiles.0.data.kind: a funnel tile cannot show pipeline data');
    const future = await send('POST', '/api/v1/dashboards', { version: 2, slug: 'x', title: 'X', tiles: [] });
    expect(future.json().error.message).toBe('dashboard format version 2 is not supported');
    const current = (await get('/api/v1/dashboards/sales-pipeline')).json();
    const save = (revision: number) =>
      send('PUT', '/api/v1/dashboards/sales-pipeline', {
        definition: { ...current.definition, title: 'Pipeline' },
        revision,
      });
    expect((await save(current.revision)).statusCode).toBe(200);
    expect((await save(current.revision)).statusCode).toBe(409);
    expect((await get('/api/v1/dashboards/nope')).statusCode).toBe(404);
  });

  it('pages through the underlying rows a drill-down ends on', async () => {
    const first = await get(`/api/v1/rows/posts?${year}&pageSize=1&f=platform:eq:linkedin`);
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0].platform).toBe('linkedin');
    expect(body.total).toBeGreaterThanOrEqual(1);
    const events = (await get(`/api/v1/rows/events?${range}&pageSize=200`)).json();
    expect(events.total).toBeGreaterThan(0);
    expect(events.total).toBe(events.rows.length);
    expect((await get(`/api/v1/rows/events?${range}&pageSize=500`)).statusCode).toBe(400);
    expect((await get(`/api/v1/rows/users?${range}`)).statusCode).toBe(400);
    expect((await get(`/api/v1/rows/posts?${range}&f=stage:eq:won`)).json().error.hint).toContain('platform');
  });

  it('keeps ingest health from viewers without pipeline:read', async () => {
    const withAccess = (
      await get(`/api/v1/dashboards/pipeline-health/data?${range}`)
    ).json() as DashboardSnapshot;
    expect(withAccess.tiles.find((t) => t.id === 'ingest-stats')?.pipeline?.stats?.lag).toBe(3);
    permissions = new Set([...builtInRoles.viewer].filter((p) => p !== 'pipeline:read'));
    try {
      const without = (
        await get(`/api/v1/dashboards/pipeline-health/data?${range}`)
      ).json() as DashboardSnapshot;
      const stats = without.tiles.find((t) => t.id === 'ingest-stats');
      expect(stats?.status).toBe('error');
      expect(stats?.error?.code).toBe('PIPELINE_FORBIDDEN');
      expect(stats?.pipeline).toBeUndefined();
    } finally {
      permissions = builtInRoles.editor;
    }
  });

  it('shows a viewer under a row policy only the rows it allows, in tiles and drill-down rows', async () => {
    const policy = await dataPoliciesRepository(meta.store.db).createRowPolicy(kpiWorkspace, {
      name: 'LinkedIn only',
      appliesTo: { role: 'viewer' },
      dimension: 'platform',
      values: ['linkedin'],
    });
    role = 'viewer';
    permissions = new Set([...builtInRoles.viewer, 'rows:read']);
    try {
      const snapshot = (
        await get(`/api/v1/dashboards/social-performance/data?${range}&compare=0`)
      ).json() as DashboardSnapshot;
      const platforms = snapshot.tiles
        .find((t) => t.id === 'share-by-platform')
        ?.metric?.rows.map((r) => r.platform);
      expect(platforms).toEqual(['linkedin']);
      const rows = (await get(`/api/v1/rows/posts?${year}&pageSize=200`)).json() as {
        rows: { platform: string }[];
      };
      expect(rows.rows.length).toBeGreaterThan(0);
      expect(new Set(rows.rows.map((r) => r.platform))).toEqual(new Set(['linkedin']));
      expect((await get(`/api/v1/rows/deals?${year}`)).statusCode).toBe(403);
    } finally {
      role = 'editor';
      permissions = builtInRoles.editor;
      await meta.store.db.query('DELETE FROM row_policies WHERE id = $1', [policy.id]);
    }
  });
});
