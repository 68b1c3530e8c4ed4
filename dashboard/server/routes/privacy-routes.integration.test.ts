import { isPulseError, type PulseEvent } from '@pulse/core';
import { createAuditLog } from '@pulse/core/audit/index';
import { builtInRoles } from '@pulse/core/rbac/permissions';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { insertEvents } from '@pulse/warehouse';
import type { PrivacyQueue } from '@pulse/warehouse/privacy/index';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../auth/access.ts';
import { registerPrivacyRoutes } from './privacy-routes.ts';

let wh: ScratchWarehouse;
let meta: ScratchMetadata;
let app: FastifyInstance;
let queue: PrivacyQueue;
let ws: string;
let otherWs: string;
const routeAccess = new Map<string, unknown>();

const principal = (workspaceId: string): Principal => ({
  kind: 'user',
  userId: '00000000-0000-4000-8000-000000000001',
  email: 'admin@pulse.test',
  workspaceId,
  role: 'admin',
  isInstanceAdmin: false,
  permissions: builtInRoles.admin,
  attributes: {},
});

const track = (eventId: string, userId: string, workspaceId: string): PulseEvent =>
  ({
    family: 'product',
    type: 'track',
    eventId,
    workspaceId,
    schemaVersion: 1,
    timestamp: '2026-03-02T09:00:00.000Z',
    userId,
    event: 'Opened',
    properties: { sessionId: `s-${userId}` },
  }) as PulseEvent;

beforeAll(async () => {
  [wh, meta] = await Promise.all([createScratchWarehouse(), createScratchMetadata()]);
  ws = (await meta.store.workspaces.create({ slug: 'acme', name: 'Acme' })).id;
  otherWs = (await meta.store.workspaces.create({ slug: 'globex', name: 'Globex' })).id;
  await insertEvents(
    wh.warehouse,
    [track('e1', 'u_gone', ws), track('e2', 'u_stays', ws), track('e3', 'u_gone', otherWs)],
    {
      dedupToken: 'routes-fixture',
    },
  );
  // A bare Fastify app: the server's auth plugin needs accounts and sessions, which this test is not
  // about. The onRequest hook stands in for it, and the error handler maps codes as http-server does.
  app = Fastify();
  app.addHook('onRoute', (r) => {
    if (r.url.startsWith('/api/v1/privacy') && r.method !== 'HEAD')
      routeAccess.set(`${[r.method].flat()[0]} ${r.url}`, r.config?.access);
  });
  app.addHook('onRequest', async (request) => {
    request.principal = principal(request.headers['x-test-workspace'] === 'other' ? otherWs : ws);
  });
  app.setErrorHandler((err, _request, reply) => {
    if (!isPulseError(err))
      return reply.status(500).send({ error: { code: 'INTERNAL', message: String(err) } });
    const status = err.code.endsWith('_INVALID') ? 400 : err.code.endsWith('_NOT_FOUND') ? 404 : 500;
    return reply.status(status).send({ error: { code: err.code, message: err.message, hint: err.hint } });
  });
  ({ queue } = registerPrivacyRoutes(app, {
    warehouse: wh.warehouse,
    metadata: meta.store,
    audit: createAuditLog(meta.store.db),
    retention: { product: 400, social: 0, crm: 30 },
  }));
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await Promise.all([wh?.cleanup(), meta?.cleanup()]);
});

const count = async (userId: string, workspaceId: string) => {
  const [row] = await (
    await wh.warehouse.client.query({
      query:
        'SELECT toString(count()) AS n FROM product_events WHERE user_id = {u:String} AND workspace_id = {w:String}',
      query_params: { u: userId, w: workspaceId },
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>();
  return Number(row!.n);
};

describe('privacy routes', () => {
  it('every privacy route requires privacy:manage', () => {
    expect(routeAccess.size).toBe(6);
    for (const [route, declared] of routeAccess)
      expect(declared, route).toEqual({ permission: 'privacy:manage' });
  });

  it('exports a data subject as a JSON-lines download of their rows only', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/privacy/access-requests',
      payload: { userId: 'u_gone' },
    });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json<{ id: string }>().id;
    await queue.idle();
    const status = await app.inject({ url: `/api/v1/privacy/requests/${id}` });
    expect(status.json()).toMatchObject({
      kind: 'access',
      status: 'completed',
      tableCounts: { product_events: 1 },
    });
    const file = await app.inject({ url: `/api/v1/privacy/requests/${id}/export` });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toContain('application/x-ndjson');
    expect(file.headers['content-disposition']).toContain('attachment');
    const lines = file.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; row: { event_id: string } });
    expect(lines.map((l) => [l.table, l.row.event_id])).toEqual([['product_events', 'e1']]);
  });

  it('erases a subject in the caller’s workspace only and records the ledger and the audit trail', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/privacy/erasures',
      payload: { userId: 'u_gone' },
    });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json<{ id: string }>().id;
    await queue.idle();
    const done = (await app.inject({ url: `/api/v1/privacy/requests/${id}` })).json();
    expect(done).toMatchObject({
      status: 'completed',
      subjectType: 'user_id',
      tableCounts: {
        product_events: 1,
        social_comments: 0,
        crm_entity_events: 0,
        ingest_errors: 0,
        privacy_exports: 1,
      },
      verification: { ok: true },
    });
    expect(done.completedAt).toEqual(expect.any(String));
    expect([await count('u_gone', ws), await count('u_stays', ws), await count('u_gone', otherWs)]).toEqual([
      0, 1, 1,
    ]);

    // The earlier access export was a copy of the subject's data: it is gone too.
    const access = (await app.inject({ url: '/api/v1/privacy/requests?kind=access' })).json<{
      items: { id: string }[];
    }>();
    expect(
      (await app.inject({ url: `/api/v1/privacy/requests/${access.items[0]!.id}/export` })).statusCode,
    ).toBe(404);

    const list = (await app.inject({ url: '/api/v1/privacy/requests?kind=erasure' })).json<{
      items: { id: string }[];
    }>();
    expect(list.items.map((r) => r.id)).toEqual([id]);
    // Another workspace neither sees nor reads it.
    expect(
      (await app.inject({ url: '/api/v1/privacy/requests', headers: { 'x-test-workspace': 'other' } })).json()
        .items,
    ).toEqual([]);
    expect(
      (await app.inject({ url: `/api/v1/privacy/requests/${id}`, headers: { 'x-test-workspace': 'other' } }))
        .statusCode,
    ).toBe(404);

    const audit = await createAuditLog(meta.store.db).search({ workspaceId: ws, action: 'privacy.*' });
    expect(audit.items.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'privacy.erasure_requested',
        'privacy.erasure_completed',
        'privacy.access_downloaded',
      ]),
    );
  });

  it('refuses a request without a valid subject with a 400 and a hint', async () => {
    for (const payload of [
      {},
      { email: 'nope' },
      { userId: 'a', email: 'a@b.example' },
      { userId: 'a', extra: 1 },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/privacy/erasures', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'PRIVACY_SUBJECT_INVALID', hint: expect.any(String) });
    }
  });

  it('answers 404 for the export of an erasure or an unknown id', async () => {
    const res = await app.inject({ url: '/api/v1/privacy/requests/not-a-uuid/export' });
    expect(res.statusCode).toBe(404);
  });

  it('shows retention per stream family', async () => {
    const res = await app.inject({ url: '/api/v1/privacy/retention' });
    expect(res.json().families).toEqual([
      { family: 'product', days: 400, keepsForever: false, tables: ['product_events'], granularity: 'month' },
      expect.objectContaining({ family: 'social', days: 0, keepsForever: true }),
      expect.objectContaining({
        family: 'crm',
        days: 30,
        tables: ['crm_entity_events', 'crm_deal_stage_changes'],
      }),
    ]);
  });
});
