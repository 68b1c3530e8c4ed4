import { createLogger, createMetricsRegistry, loadConfig } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { loadMetricCatalog } from '@pulse/models';
import { insertEvents, MASK, runMetricQuery } from '@pulse/warehouse';
import { policyEvents, policyRange } from '@pulse/warehouse/policy/policy-fixture';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthServices } from '../auth/auth-services.ts';
import { createHttpServer } from '../http-server.ts';
import { apiKeyCaller, createTestAuth, sessionCaller, testWorkspace } from '../testing/test-auth.ts';
import { registerPolicyRoutes } from './policies-routes.ts';

const catalog = loadMetricCatalog().metrics;
let scratch: ScratchMetadata;
let wh: ScratchWarehouse;
let auth: AuthServices;
let app: FastifyInstance;
let workspaceId: string;
let admin: { authorization: string };
let viewerKey: { authorization: string };

beforeAll(async () => {
  scratch = await createScratchMetadata();
  wh = await createScratchWarehouse();
  workspaceId = await testWorkspace(scratch.store, 'policies');
  // The fixture's events, in this workspace (warehouse rows carry the metadata workspace id).
  await insertEvents(
    wh.warehouse,
    policyEvents.map((e) => ({ ...e, workspaceId })),
    { dedupToken: 'policies-routes' },
  );
  auth = createTestAuth(scratch.store);
  admin = await apiKeyCaller(auth, workspaceId, 'admin');
  viewerKey = await apiKeyCaller(auth, workspaceId, 'viewer');
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
      registerRoutes: (instance) =>
        registerPolicyRoutes(instance, { metadata: scratch.store, catalog, audit: auth.audit }),
    },
  );
  await app.ready();
}, 60_000);
afterAll(async () => {
  await app.close();
  await wh.cleanup();
  await scratch.cleanup();
});

const as = (caller: Record<string, string>, options: InjectOptions) =>
  app.inject({ ...options, headers: { ...caller, ...(options.headers ?? {}) } });
const createPolicy = (body: unknown) =>
  as(admin, { method: 'POST', url: '/api/v1/policies/rows', payload: body as object });

describe('policy routes', () => {
  it('lets only roles:manage change policies, and anyone with metrics:read see their own', async () => {
    const res = await as(viewerKey, { method: 'POST', url: '/api/v1/policies/rows', payload: {} });
    expect(res.statusCode).toBe(403);
    expect((await as(viewerKey, { url: '/api/v1/policies' })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v1/policies/effective' })).statusCode).toBe(401);
    const own = await as(viewerKey, { url: '/api/v1/policies/effective' });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ role: 'viewer', clearance: 'internal', unrestricted: false });
  });

  it('validates policies with a hint: unknown dimension, both values and attribute, admin target', async () => {
    const unknown = await createPolicy({
      name: 'x',
      appliesTo: { role: 'viewer' },
      dimension: 'galaxy',
      values: ['a'],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.hint).toContain('platform');
    const both = await createPolicy({
      name: 'x',
      appliesTo: { role: 'viewer' },
      dimension: 'platform',
      values: ['a'],
      fromAttribute: 'platform',
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.hint).toContain('either values or fromAttribute');
    const onAdmin = await createPolicy({
      name: 'x',
      appliesTo: { role: 'admin' },
      dimension: 'platform',
      values: ['a'],
    });
    expect(onAdmin.statusCode).toBe(400);
    const noRole = await createPolicy({
      name: 'x',
      appliesTo: { role: 'ghost' },
      dimension: 'platform',
      values: ['a'],
    });
    expect(noRole.statusCode).toBe(404);
  });

  it('resolves a member’s policy from role and attribute policies, and the warehouse enforces it', async () => {
    const viewer = await sessionCaller(auth, workspaceId, 'viewer', {
      attributes: { platform: 'linkedin, tiktok' },
    });
    const byAttribute = await createPolicy({
      name: 'social team sees its platforms',
      appliesTo: { allExceptAdmin: true },
      dimension: 'platform',
      fromAttribute: 'platform',
    });
    expect(byAttribute.statusCode).toBe(201);
    const byRole = await createPolicy({
      name: 'viewers see enterprise deals',
      appliesTo: { role: 'viewer' },
      dimension: 'pipeline',
      values: ['enterprise'],
    });
    expect(byRole.statusCode).toBe(201);
    const listed = await as(admin, { url: '/api/v1/policies' });
    expect(listed.json().rowPolicies).toHaveLength(2);
    expect(listed.json().dimensions).toContainEqual({
      name: 'owner_id',
      classification: 'confidential',
      overridden: false,
    });

    const res = await as({ cookie: viewer.cookie }, { url: '/api/v1/policies/effective' });
    const policy = res.json() as DataPolicy;
    expect(policy.rowFilters).toEqual([
      { dimension: 'pipeline', values: ['enterprise'] },
      { dimension: 'platform', values: ['linkedin', 'tiktok'] },
    ]);
    // The policy the route returns is the value the metric layer enforces.
    const run = (metrics: string[], dimensions: string[] = []) =>
      runMetricQuery(wh.warehouse, catalog, { metrics, dimensions, timeRange: policyRange }, workspaceId, {
        now: new Date('2026-11-20T00:00:00Z'),
        policy,
      });
    expect((await run(['impressions'])).rows).toEqual([{ impressions: 240 }]);
    expect((await run(['won_revenue'], ['owner_id'])).rows).toEqual([{ owner_id: MASK, won_revenue: 1000 }]);

    // An admin is never restricted by the same policies.
    const adminPolicy = (await as(admin, { url: '/api/v1/policies/effective' })).json() as DataPolicy;
    expect(adminPolicy).toMatchObject({ unrestricted: true, rowFilters: [] });

    expect(
      (await as(admin, { method: 'DELETE', url: `/api/v1/policies/rows/${byRole.json().id}` })).statusCode,
    ).toBe(204);
    expect(
      (await as(admin, { method: 'DELETE', url: `/api/v1/policies/rows/${byRole.json().id}` })).statusCode,
    ).toBe(404);
    const after = (
      await as({ cookie: viewer.cookie }, { url: '/api/v1/policies/effective' })
    ).json() as DataPolicy;
    expect(after.rowFilters.map((f) => f.dimension)).toEqual(['platform']);
  });

  it('sets member attributes, classifications and custom-role clearances', async () => {
    const member = await sessionCaller(auth, workspaceId, 'analyst');
    const set = await as(admin, {
      method: 'PUT',
      url: `/api/v1/members/${member.userId}/attributes`,
      payload: { attributes: { platform: 'instagram' } },
    });
    expect(set.statusCode).toBe(200);
    const effective = (
      await as({ cookie: member.cookie }, { url: '/api/v1/policies/effective' })
    ).json() as DataPolicy;
    expect(effective.rowFilters).toEqual([{ dimension: 'platform', values: ['instagram'] }]);

    const classify = await as(admin, {
      method: 'PUT',
      url: '/api/v1/policies/classifications/metric/won_revenue',
      payload: { classification: 'restricted' },
    });
    expect(classify.statusCode).toBe(200);
    expect(
      (
        await as(admin, {
          method: 'PUT',
          url: '/api/v1/policies/classifications/metric/nope',
          payload: { classification: 'public' },
        })
      ).statusCode,
    ).toBe(404);
    const analystPolicy = (
      await as({ cookie: member.cookie }, { url: '/api/v1/policies/effective' })
    ).json() as DataPolicy;
    expect(analystPolicy.metricClassifications).toEqual({ won_revenue: 'restricted' });
    await expect(
      runMetricQuery(
        wh.warehouse,
        catalog,
        { metrics: ['won_revenue'], timeRange: policyRange },
        workspaceId,
        {
          policy: analystPolicy,
        },
      ),
    ).rejects.toMatchObject({ code: 'METRIC_FORBIDDEN' });

    await auth.roles.upsert(workspaceId, { name: 'auditor', permissions: ['metrics:read'] });
    const clearance = await as(admin, {
      method: 'PUT',
      url: '/api/v1/policies/clearances/auditor',
      payload: { clearance: 'restricted' },
    });
    expect(clearance.statusCode).toBe(200);
    const builtIn = await as(admin, {
      method: 'PUT',
      url: '/api/v1/policies/clearances/viewer',
      payload: { clearance: 'restricted' },
    });
    expect(builtIn.statusCode).toBe(400);
    expect((await as(admin, { url: '/api/v1/policies' })).json().clearances).toMatchObject({
      auditor: 'restricted',
      viewer: 'internal',
    });
  });
});
