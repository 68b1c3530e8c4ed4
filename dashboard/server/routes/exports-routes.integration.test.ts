import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPulseError, type PulseEvent } from '@pulse/core';
import type { Permission } from '@pulse/core/rbac/permissions';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { loadMetricCatalog } from '@pulse/models';
import { createExportJobs, type ExportJobs } from '@pulse/reports/exports/index';
import { insertEvents } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { tableFromIPC } from 'apache-arrow';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, type Principal } from '../auth/access.ts';
import { registerExportRoutes } from './exports-routes.ts';

// A uuid like every workspace id, so the caller's data policy can be looked up.
const workspace = '5e1ec7ed-0000-4000-8000-00000000e4a0';
const users = 2000;
const hours = 24;
let scratch: ScratchWarehouse;
let metadata: ScratchMetadata;
let jobs: ExportJobs;
let app: FastifyInstance;
let root: string;
const declared: { url: string; method: string; access: unknown }[] = [];

const principal = (userId: string, workspaceId = workspace): Principal => ({
  ...anonymous,
  kind: 'user',
  userId,
  email: `${userId}@example.com`,
  workspaceId,
  // Unrestricted: this suite is about jobs, not policies (user_id is a restricted dimension).
  role: 'admin',
  permissions: new Set<Permission>(['exports:create']),
});

const query = (limit: number) => ({
  metrics: ['product_events'],
  dimensions: ['user_id'],
  grain: 'hour',
  timeRange: { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' },
  limit,
});

beforeAll(async () => {
  scratch = await createScratchWarehouse();
  metadata = await createScratchMetadata();
  const events: PulseEvent[] = [];
  for (let h = 0; h < hours; h++)
    for (let u = 0; u < users; u++)
      events.push({
        family: 'product',
        type: 'track',
        eventId: `e-${h}-${u}`,
        workspaceId: workspace,
        schemaVersion: 1,
        timestamp: new Date(Date.parse('2026-03-02T00:00:00Z') + h * 3_600_000 + u).toISOString(),
        userId: `user-${u}`,
        event: 'Opened',
      } as PulseEvent);
  await insertEvents(scratch.warehouse, events, { dedupToken: 'export-api-fixture' });
  root = mkdtempSync(join(tmpdir(), 'pulse-export-api-'));
  jobs = await createExportJobs({
    warehouse: scratch.warehouse,
    catalog: loadMetricCatalog().metrics,
    directory: join(root, 'exports'),
    maxRunning: 1,
  });
  app = Fastify();
  // Stands in for the auth hook: the caller is named by a test header, as a session would.
  app.addHook('onRequest', async (request) => {
    const user = request.headers['x-test-user'];
    const ws = request.headers['x-test-workspace'];
    request.principal =
      typeof user === 'string' ? principal(user, typeof ws === 'string' ? ws : workspace) : anonymous;
  });
  app.addHook('onRoute', (r) => {
    declared.push({ url: r.url, method: String(r.method), access: r.config?.access });
  });
  app.setErrorHandler((err, _request, reply) => {
    if (!isPulseError(err)) return reply.status(500).send({ error: { message: (err as Error).message } });
    const code = err.code;
    const status =
      code.endsWith('_INVALID') || code.startsWith('INVALID_')
        ? 400
        : code.endsWith('_NOT_FOUND')
          ? 404
          : code.endsWith('_CONFLICT')
            ? 409
            : code === 'AUTH_REQUIRED'
              ? 401
              : 500;
    return reply.status(status).send({ error: { code, message: err.message, hint: err.hint } });
  });
  registerExportRoutes(app, { exports: jobs, metadata: metadata.store });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await jobs?.close();
  await scratch?.cleanup();
  await metadata?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

const as = (user: string, extra: Record<string, string> = {}) => ({ 'x-test-user': user, ...extra });

async function settle(id: string, user = 'u1') {
  for (;;) {
    const res = await app.inject({ url: `/api/v1/exports/${id}`, headers: as(user) });
    const body = res.json() as { state: string; rowsWritten: number; links: { file?: string } };
    if (body.state !== 'queued' && body.state !== 'running') return body;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('export API', () => {
  it('declares exports:create on every route', () => {
    const mine = declared.filter((r) => r.url.startsWith('/api/v1/exports'));
    expect(mine.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'DELETE /api/v1/exports/:id',
      'GET /api/v1/exports',
      'GET /api/v1/exports/:id',
      'GET /api/v1/exports/:id/file',
      'HEAD /api/v1/exports',
      'HEAD /api/v1/exports/:id',
      'HEAD /api/v1/exports/:id/file',
      'POST /api/v1/exports',
    ]);
    for (const r of mine) expect(r.access).toEqual({ permission: 'exports:create' });
  });

  it('lists the caller’s jobs newest first, pages them, and refuses bad parameters', async () => {
    const started: string[] = [];
    for (const title of ['List one', 'List two', 'List three']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/exports',
        headers: as('u_list'),
        payload: { title, format: 'csv', query: query(3) },
      });
      started.push((res.json() as { id: string }).id);
      await settle(started.at(-1)!, 'u_list');
      await new Promise((r) => setTimeout(r, 5));
    }
    const first = await app.inject({ url: '/api/v1/exports?limit=2', headers: as('u_list') });
    expect(first.statusCode).toBe(200);
    const page = first.json() as { jobs: { id: string; links: { file?: string } }[]; nextCursor: string };
    expect(page.jobs.map((j) => j.id)).toEqual([started[2], started[1]]);
    expect(page.jobs[0]!.links.file).toBe(`/api/v1/exports/${started[2]}/file`);
    const next = await app.inject({
      url: `/api/v1/exports?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`,
      headers: as('u_list'),
    });
    expect(next.json()).toMatchObject({ jobs: [{ id: started[0] }], nextCursor: null });
    const other = await app.inject({ url: '/api/v1/exports', headers: as('u_nobody') });
    expect(other.json()).toEqual({ jobs: [], nextCursor: null });
    const bad = await app.inject({ url: '/api/v1/exports?limit=0&sort=name', headers: as('u_list') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'EXPORT_INVALID' } });
  });

  it('starts a job, reports progress and serves the file with its name and type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/exports',
      headers: as('u1'),
      payload: { title: 'Events by user', format: 'arrow', query: query(500) },
    });
    expect(res.statusCode).toBe(202);
    const job = res.json() as { id: string; state: string };
    expect(res.headers.location).toBe(`/api/v1/exports/${job.id}`);
    const done = await settle(job.id);
    expect(done).toMatchObject({ state: 'done', rowsWritten: 500, totalRows: 500, percent: 100 });
    expect(done.links.file).toBe(`/api/v1/exports/${job.id}/file`);
    const file = await app.inject({ url: done.links.file!, headers: as('u1') });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    expect(file.headers['content-disposition']).toContain('filename="Events-by-user.arrows"');
    expect(tableFromIPC(file.rawPayload).numRows).toBe(500);
  });

  it('cancels a running export: the job ends cancelled and has no file', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/exports',
      headers: as('u1'),
      payload: { title: 'All of it', format: 'xlsx', query: query(10_000), rowLimit: users * hours },
    });
    const { id } = res.json() as { id: string };
    for (;;) {
      const view = (await app.inject({ url: `/api/v1/exports/${id}`, headers: as('u1') })).json() as {
        rowsWritten: number;
      };
      if (view.rowsWritten > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const cancelled = await app.inject({ method: 'DELETE', url: `/api/v1/exports/${id}`, headers: as('u1') });
    expect(cancelled.statusCode).toBe(200);
    const done = await settle(id);
    expect(done.state).toBe('cancelled');
    expect(done.rowsWritten).toBeLessThan(users * hours);
    const file = await app.inject({ url: `/api/v1/exports/${id}/file`, headers: as('u1') });
    expect(file.statusCode).toBe(409);
    expect(file.json()).toMatchObject({ error: { code: 'EXPORT_STATE_CONFLICT' } });
  });

  it('hides a job from other users and other workspaces', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/exports',
      headers: as('u1'),
      payload: { title: 'Private', format: 'csv', query: query(5) },
    });
    const { id } = res.json() as { id: string };
    await settle(id);
    expect((await app.inject({ url: `/api/v1/exports/${id}`, headers: as('u2') })).statusCode).toBe(404);
    expect(
      (
        await app.inject({
          url: `/api/v1/exports/${id}/file`,
          headers: as('u1', { 'x-test-workspace': 'ws_b' }),
        })
      ).statusCode,
    ).toBe(404);
    expect((await app.inject({ url: '/api/v1/exports/not-a-uuid', headers: as('u1') })).statusCode).toBe(404);
  });

  it('answers 400 with a hint for a bad body, and 401 without a user', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/exports',
      headers: as('u1'),
      payload: { title: 'x', format: 'docx', query: query(5) },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      error: { code: 'EXPORT_INVALID', hint: expect.stringMatching(/format/) },
    });
    const anon = await app.inject({
      method: 'POST',
      url: '/api/v1/exports',
      payload: { title: 'x', format: 'csv', query: query(5) },
    });
    expect(anon.statusCode).toBe(401);
  });
});
