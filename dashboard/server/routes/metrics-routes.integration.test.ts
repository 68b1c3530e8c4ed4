import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMetricsRegistry, loadConfig } from '@pulse/core';
import { kpiEvents, kpiRange, kpiWorkspace, loadMetricCatalog } from '@pulse/models';
import { createWarehouse, insertEvents, migrate, type Warehouse } from '@pulse/warehouse';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../http-server.ts';
import { dataPoliciesRepository } from '@pulse/core/rbac/data-policies';
import { apiKeyCaller, createTestAuth } from '../testing/test-auth.ts';
import { registerMetricRoutes } from './metrics-routes.ts';

let warehouse: Warehouse;
let dataPath: string;
let app: FastifyInstance;
let scratch: ScratchMetadata;
let caller: { authorization: string };
let auth: ReturnType<typeof createTestAuth>;
/** Every request as an analyst of the fixture's workspace. */
const call = (options: InjectOptions) =>
  app.inject({ ...options, headers: { ...caller, ...(options.headers ?? {}) } });
const routes: { method: string; url: string }[] = [];

beforeAll(async () => {
  dataPath = mkdtempSync(join(tmpdir(), 'pulse-api-'));
  warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'pulse_api',
    cluster: undefined,
    dataPath,
  });
  await migrate(warehouse);
  await insertEvents(warehouse, kpiEvents);
  scratch = await createScratchMetadata();
  await scratch.store.db.query("INSERT INTO workspaces (id, slug, name) VALUES ($1, 'kpi', 'KPI fixture')", [
    kpiWorkspace,
  ]);
  auth = createTestAuth(scratch.store);
  caller = await apiKeyCaller(auth, kpiWorkspace, 'analyst');
  app = await createHttpServer(
    {
      config: loadConfig({}),
      logger: createLogger({ level: 'silent', serviceName: 'test' }),
      metrics: createMetricsRegistry(),
      version: '1.2.3',
      isDemo: false,
      readiness: [],
      overview: { countsByFamily: async () => [], latestEvents: async () => [] },
    },
    {
      auth,
      registerRoutes: (instance) => {
        instance.addHook('onRoute', (r) => {
          for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
        });
        registerMetricRoutes(instance, {
          warehouse,
          catalog: loadMetricCatalog().metrics,
          metadata: scratch.store,
        });
      },
    },
  );
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await warehouse.close();
  await scratch.cleanup();
  rmSync(dataPath, { recursive: true, force: true });
});

const query = (body: unknown) =>
  call({ method: 'POST', url: '/api/v1/metrics/query', payload: body as object });

describe('metric API', () => {
  it('holds a row policy and masks a restricted dimension for the caller, whatever the query asks', async () => {
    await dataPoliciesRepository(scratch.store.db).createRowPolicy(kpiWorkspace, {
      name: 'LinkedIn team',
      appliesTo: { role: 'viewer' },
      dimension: 'platform',
      values: ['linkedin'],
    });
    const viewer = await apiKeyCaller(auth, kpiWorkspace, 'viewer');
    const byPlatform = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/metrics/query',
        headers,
        payload: { metrics: ['impressions'], dimensions: ['platform'], timeRange: kpiRange },
      });
    const all = (await byPlatform(caller)).json() as { rows: Record<string, unknown>[] };
    const limited = (await byPlatform(viewer)).json() as { rows: Record<string, unknown>[] };
    expect(new Set(all.rows.map((r) => r.platform))).toEqual(new Set(['linkedin', 'instagram']));
    expect(limited.rows.map((r) => r.platform)).toEqual(['linkedin']);
    expect(limited.rows[0]!.impressions).toBe(all.rows.find((r) => r.platform === 'linkedin')!.impressions);
    // Each data query is in the audit log with the route and the caller.
    const audited = await auth.audit.search({ action: 'data.query', workspaceId: kpiWorkspace });
    expect(
      audited.items.some((e) => e.targetId === 'POST /api/v1/metrics/query' && e.actorType === 'api_key'),
    ).toBe(true);
    // Asking for the other platform explicitly still yields nothing of it.
    const sneaky = await app.inject({
      method: 'POST',
      url: '/api/v1/metrics/query',
      headers: viewer,
      payload: {
        metrics: ['impressions'],
        timeRange: kpiRange,
        filters: [{ dimension: 'platform', op: 'eq', value: 'instagram' }],
      },
    });
    expect((sneaky.json() as { rows: { impressions?: number }[] }).rows.every((r) => !r.impressions)).toBe(
      true,
    );
    // user_id is restricted: a viewer grouping by it gets one masked bucket, not the ids.
    const masked = await app.inject({
      method: 'POST',
      url: '/api/v1/metrics/query',
      headers: viewer,
      payload: { metrics: ['product_events'], dimensions: ['user_id'], timeRange: kpiRange },
    });
    expect(masked.statusCode).toBe(200);
    expect(new Set((masked.json() as { rows: { user_id: string }[] }).rows.map((r) => r.user_id))).toEqual(
      new Set(['•••']),
    );
  });

  it('lists the catalog with each metric’s dimensions and grains', async () => {
    const res = await call({ url: '/api/v1/metrics' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      metrics: { name: string; grains: string[]; dimensions: { name: string }[] }[];
    };
    const impressions = body.metrics.find((m) => m.name === 'impressions');
    expect(impressions?.grains).toEqual(['hour', 'day', 'week', 'month', 'quarter']);
    expect(impressions?.dimensions.map((d) => d.name)).toEqual(['platform', 'account_id', 'post_id']);
    expect((await call({ url: '/api/v1/metrics/dau' })).json()).toMatchObject({
      name: 'dau',
      format: 'number',
    });
    expect((await call({ url: '/api/v1/metrics/nope' })).statusCode).toBe(404);
  });

  it('answers a query with typed columns, rows, the SQL and the rollup that answered', async () => {
    const res = await query({
      metrics: ['impressions', 'engagement_rate_by_impressions'],
      timeRange: kpiRange,
      grain: 'day',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.columns).toEqual([
      { name: 'time', kind: 'time', type: 'time' },
      { name: 'impressions', kind: 'metric', type: 'number', label: 'Impressions', format: 'number' },
      {
        name: 'engagement_rate_by_impressions',
        kind: 'metric',
        type: 'number',
        label: 'Engagement rate (by impressions)',
        format: 'percent',
      },
    ]);
    expect(body.rows.map((r: { impressions: number }) => r.impressions)).toEqual([1150, 550]);
    // The one-state-per-post-day rollup (migration 0005) answers the days not sealed into hourly
    // changes (0006; nothing is sealed here), with the same numbers as before.
    expect(body.sql).toContain('social_post_engagement_day');
    expect(body.plan).toEqual([
      {
        source: 'post_activity',
        metrics: ['impressions', 'engagements'],
        table: 'social_post_engagement_day',
        rollup: 'day',
        sealed: 'social_post_changes_hour',
      },
    ]);
  });

  it('refuses unknown metrics, dimensions and grains with the valid choices', async () => {
    const metric = await query({ metrics: ['impresions'], timeRange: kpiRange });
    expect(metric.statusCode).toBe(400);
    expect(metric.json().error.details.valid).toContain('impressions');
    const dimension = await query({ metrics: ['impressions'], dimensions: ['country'], timeRange: kpiRange });
    expect(dimension.statusCode).toBe(400);
    expect(dimension.json().error.details.valid).toEqual(['platform', 'account_id', 'post_id']);
    const grain = await query({ metrics: ['followers'], grain: 'minute', timeRange: kpiRange });
    expect(grain.statusCode).toBe(400);
    expect(grain.json().error.hint).toBe('choose from: day, week, month, quarter');
    const shape = await query({ metrics: 'impressions', timeRange: kpiRange, limit: 0 });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().error.hint).toMatch(/metrics: .*limit: /s);
    const zone = await query({ metrics: ['impressions'], timeRange: kpiRange, timezone: 'Mars/Olympus' });
    expect(zone.json().error.message).toBe('unknown time zone "Mars/Olympus"');
  });

  it('passes request values to SQL only as parameters', async () => {
    const hostile = "x' OR 1=1 --";
    const res = await query({
      metrics: ['engagements'],
      dimensions: ['platform'],
      filters: [{ dimension: 'platform', op: 'in', value: [hostile, 'instagram'] }],
      timeRange: kpiRange,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.sql).not.toContain(hostile);
    expect(Object.values(body.params)).toContainEqual([hostile, 'instagram']);
    expect(body.rows).toEqual([{ platform: 'instagram', engagements: 135 }]);
  });

  it('runs funnels and retention, validating their bodies', async () => {
    const funnel = await call({
      method: 'POST',
      url: '/api/v1/analyses/funnel',
      payload: { steps: ['Signed Up', 'Feature Used'], timeRange: kpiRange },
    });
    expect(funnel.json().steps.map((s: { users: number }) => s.users)).toEqual([1, 1]);
    const bad = await call({
      method: 'POST',
      url: '/api/v1/analyses/funnel',
      payload: { steps: ['one'] },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('describes every API route in the OpenAPI document', async () => {
    const doc = (await call({ url: '/api/v1/openapi.json' })).json() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(routes.length).toBeGreaterThan(3);
    for (const r of routes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
    expect(doc.paths['/api/v1/metrics/query']?.post).toMatchObject({ requestBody: { required: true } });
  });
});
