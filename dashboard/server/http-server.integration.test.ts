import { createLogger, createMetricsRegistry, loadConfig, PulseError } from '@pulse/core';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthServices } from './auth/auth-services.ts';
import { createHttpServer, type HttpServerOptions } from './http-server.ts';
import type { OverviewSource, PulseServices } from './services.ts';
import { apiKeyCaller, createTestAuth, testWorkspace } from './testing/test-auth.ts';

let scratch: ScratchMetadata;
let auth: AuthServices;
let viewer: { authorization: string };
beforeAll(async () => {
  scratch = await createScratchMetadata();
  auth = createTestAuth(scratch.store);
  viewer = await apiKeyCaller(auth, await testWorkspace(scratch.store), 'viewer');
});
afterAll(() => scratch.cleanup());

const serve = (services: PulseServices, options: Partial<HttpServerOptions> = {}) =>
  createHttpServer(services, { auth, ...options });

function fakeServices(overrides: Partial<PulseServices> = {}, overview?: OverviewSource): PulseServices {
  return {
    config: loadConfig({}),
    logger: createLogger({ level: 'silent', serviceName: 'test' }),
    metrics: createMetricsRegistry(),
    version: '9.9.9',
    isDemo: true,
    readiness: [{ name: 'warehouse', check: async () => {} }],
    overview: overview ?? {
      countsByFamily: async () => [{ family: 'product', events: 3, lastEventAt: '2026-11-24T00:00:00.000Z' }],
      latestEvents: async () => [],
    },
    ...overrides,
  };
}

describe('HTTP server', () => {
  it('answers liveness and echoes the caller’s request id', async () => {
    const app = await serve(fakeServices());
    const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'req-123' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', version: '9.9.9' });
    expect(res.headers['x-request-id']).toBe('req-123');
    const generated = await app.inject({ url: '/healthz' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await app.close();
  });

  it('is ready only when every part answers, naming the failing ones', async () => {
    const app = await serve(
      fakeServices({
        readiness: [
          { name: 'warehouse', check: async () => {} },
          { name: 'metadata', check: async () => Promise.reject(new Error('connection refused')) },
          { name: 'bus', check: () => new Promise(() => {}) },
        ],
      }),
      { readinessTimeoutMs: 100 },
    );
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'not ready',
      failing: ['metadata', 'bus'],
      checks: { warehouse: 'ok', metadata: 'connection refused', bus: 'no answer within 100 ms' },
    });
    await app.close();
    const ok = await serve(fakeServices());
    expect((await ok.inject({ url: '/readyz' })).statusCode).toBe(200);
    await ok.close();
  });

  it('serves Prometheus metrics including request durations by route', async () => {
    const app = await serve(fakeServices());
    await app.inject({ url: '/healthz' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('pulse_process_cpu_user_seconds_total');
    expect(res.body).toMatch(
      /pulse_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/,
    );
    await app.close();
  });

  it('turns errors into JSON with a code, a hint and the request id', async () => {
    const failing = fakeServices(
      {},
      {
        countsByFamily: () =>
          Promise.reject(
            new PulseError('WAREHOUSE_UNAVAILABLE', 'warehouse down', { hint: 'start ClickHouse' }),
          ),
        latestEvents: async () => [],
      },
    );
    const app = await serve(failing);
    const res = await app.inject({ url: '/api/v1/overview', headers: { 'x-request-id': 'r1', ...viewer } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: {
        code: 'WAREHOUSE_UNAVAILABLE',
        message: 'warehouse down',
        hint: 'start ClickHouse',
        requestId: 'r1',
      },
    });
    const missing = await app.inject({ url: '/api/v1/nope', headers: viewer });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
    await app.close();
  });

  it('pushes the live overview with one warehouse read per tick, however many viewers', async () => {
    let reads = 0;
    const app = await serve(
      fakeServices(
        {},
        {
          countsByFamily: async () => {
            reads++;
            return [{ family: 'product', events: reads, lastEventAt: null }];
          },
          latestEvents: async () => [],
        },
      ),
      { liveIntervalMs: 100 },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const received = await Promise.all(
      controllers.map(async (controller) => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/live`, {
          signal: controller.signal,
          headers: viewer,
        });
        expect(res.headers.get('content-type')).toBe('text/event-stream');
        const reader = res.body!.getReader();
        let text = '';
        while ((text.match(/event: overview/g) ?? []).length < 3)
          text += new TextDecoder().decode((await reader.read()).value);
        controller.abort();
        return text;
      }),
    );
    expect(received.every((t) => t.includes('"isDemo":true'))).toBe(true);
    // 20 viewers × at least 3 updates, but reads grow with ticks, not with viewers.
    expect(reads).toBeLessThan(12);
    await app.close();
  });
});
