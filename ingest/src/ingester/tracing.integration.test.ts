import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, examples, loadConfig, setupTracing } from '@pulse/core';
import { createWarehouse, migrate } from '@pulse/warehouse';
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { createEmbeddedBus } from '../bus/index.ts';
import { registerCollector } from '../collector/index.ts';
import { createIngester } from './index.ts';

it('follows an event from the HTTP request through the bus headers to the insert', async () => {
  const tracing = setupTracing({ serviceName: 'trace-test', otlpEndpoint: undefined });
  const root = mkdtempSync(join(tmpdir(), 'pulse-trace-'));
  const logger = createLogger({ level: 'silent', serviceName: 'test' });
  const warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'trace',
    cluster: undefined,
    dataPath: join(root, 'wh'),
  });
  await migrate(warehouse);
  const bus = await createEmbeddedBus({ dataPath: join(root, 'bus') });
  const ingester = await createIngester({ bus, warehouse, logger, maxWaitMs: 20 });
  const app = Fastify();
  registerCollector(app, {
    bus,
    config: loadConfig({}).collector,
    logger,
    resolveWriteKey: async () => ({ workspaceId: 'ws_t', sourceId: 's' }),
  });

  // The request's span, as the HTTP server's instrumentation would open it.
  let requestTraceId = '';
  await tracing.tracer.startActiveSpan('POST /v1/events', async (span) => {
    requestTraceId = span.spanContext().traceId;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: 'Bearer k' },
      payload: { events: [examples[9]] },
    });
    expect(res.statusCode).toBe(200);
    span.end();
  });
  await expect
    .poll(() => tracing.memoryExporter!.getFinishedSpans().filter((s) => s.name === 'ingest batch').length, {
      timeout: 10_000,
    })
    .toBeGreaterThan(0);
  const batchSpan = tracing.memoryExporter!.getFinishedSpans().find((s) => s.name === 'ingest batch')!;
  expect(batchSpan.links.map((l) => l.context.traceId)).toContain(requestTraceId);

  // A caller that sends its own W3C trace context in the request headers.
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: 'Bearer k', traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    payload: { events: [{ ...examples[9], eventId: 'traced-2' }] },
  });
  expect(res.statusCode).toBe(200);
  await expect
    .poll(
      () =>
        tracing
          .memoryExporter!.getFinishedSpans()
          .some((s) => s.name === 'ingest batch' && s.links.some((l) => l.context.traceId === callerTrace)),
      { timeout: 10_000 },
    )
    .toBe(true);
  expect(
    tracing
      .memoryExporter!.getFinishedSpans()
      .find((s) => s.name === 'collector events' && s.spanContext().traceId === callerTrace),
  ).toBeDefined();

  await app.close();
  await ingester.stop();
  await bus.close();
  await warehouse.close();
  await tracing.shutdown();
  rmSync(root, { recursive: true, force: true });
});
