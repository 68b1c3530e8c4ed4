import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { createLogger, createMetricsRegistry, loadConfig } from '@pulse/core';
import { createWarehouse, migrate, type Warehouse } from '@pulse/warehouse';
import { afterEachInsert } from '@pulse/warehouse/testing/after-insert';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createEmbeddedBus, deadLetterTopic, topicFor } from '../bus/index.ts';
import { createIngester, type Ingester } from '../ingester/index.ts';
import { registerCollector } from './index.ts';

// One chDB engine per process: the whole file shares one warehouse; each test uses its own workspace.
let root: string;
let warehouse: Warehouse;
let bus: Bus;
let ingester: Ingester;
let app: FastifyInstance;
let url: string;
const keys: Record<string, { workspaceId: string; sourceId: string }> = {
  pk_test_a: { workspaceId: 'ws_a', sourceId: 'src_a' },
  pk_test_b: { workspaceId: 'ws_b', sourceId: 'src_b' },
  pk_test_c: { workspaceId: 'ws_c', sourceId: 'src_c' },
  pk_test_slow: { workspaceId: 'ws_slow', sourceId: 'src_slow' },
};
const logger = createLogger({ level: 'silent', serviceName: 'test' });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pulse-collector-'));
  warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'collector_test',
    cluster: undefined,
    dataPath: join(root, 'wh'),
  });
  await migrate(warehouse);
  bus = await createEmbeddedBus({ dataPath: join(root, 'bus') });
  ingester = await createIngester({
    bus,
    warehouse,
    logger,
    metrics: createMetricsRegistry(),
    maxWaitMs: 20,
  });
  app = Fastify();
  const config = {
    ...loadConfig({}).collector,
    maxBatch: 100,
    maxBodyBytes: 64 * 1024,
    rateLimitPerSecond: 1000,
  };
  registerCollector(app, { bus, config, logger, resolveWriteKey: async (key) => keys[key] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  await ingester.stop();
  await bus.close();
  await warehouse.close();
  rmSync(root, { recursive: true, force: true });
});

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const post = (
  path: string,
  body: unknown,
  init: { key?: string; headers?: Record<string, string>; raw?: Buffer | string } = {},
) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.key ? { authorization: basic(init.key) } : {}),
      ...init.headers,
    },
    body: init.raw ?? JSON.stringify(body),
  });
async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}
async function waitForCount(table: string, workspace: string, expected: number): Promise<void> {
  await expect
    .poll(
      async () =>
        Number(
          (
            await rows<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE workspace_id = {ws:String}`, {
              ws: workspace,
            })
          )[0]!.n,
        ),
      { timeout: 15_000 },
    )
    .toBe(expected);
}

describe('collector → bus → ingester → warehouse', () => {
  it('takes events from the official Segment SDK (@segment/analytics-node) and lands each once', async () => {
    const analytics = new Analytics({
      writeKey: 'pk_test_a',
      host: url,
      path: '/v1/batch',
      flushAt: 20,
      maxRetries: 1,
    });
    for (let i = 0; i < 30; i++)
      analytics.track({
        userId: `u${i % 4}`,
        event: 'Report Exported',
        properties: { format: 'pdf', i, nested: { kept: true } },
      });
    analytics.identify({ userId: 'u1', traits: { plan: 'pro' } });
    analytics.page({ anonymousId: 'anon-1', name: 'Pricing' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    await waitForCount('product_events', 'ws_a', 32);
    const [stats] = await rows<{ n: number; u: number }>(
      "SELECT toUInt32(count()) AS n, toUInt32(uniqExact(event_id)) AS u FROM product_events WHERE workspace_id = 'ws_a'",
    );
    expect(stats).toEqual({ n: 32, u: 32 });
    const [one] = await rows<{ properties: string; context: string }>(
      "SELECT properties, context FROM product_events WHERE workspace_id = 'ws_a' AND type = 'track' LIMIT 1",
    );
    expect(JSON.parse(one!.properties)).toMatchObject({ format: 'pdf', nested: { kept: true } });
    expect(JSON.parse(one!.context)).toMatchObject({ library: { name: '@segment/analytics-node' } });
  });

  it('accepts gzip batches and answers each rejected event with its index and reason', async () => {
    const body = {
      batch: [
        { type: 'track', userId: 'x', event: 'Ok' },
        { type: 'track', event: 'no user' },
        { type: 'nope', userId: 'y' },
        { type: 'page', anonymousId: 'z', name: 'Home' },
      ],
    };
    const res = await post('/v1/batch', undefined, {
      key: 'pk_test_b',
      headers: { 'content-encoding': 'gzip' },
      raw: gzipSync(JSON.stringify(body)),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      success: true,
      accepted: 2,
      rejected: [
        { index: 1, reason: 'userId: userId or anonymousId is required' },
        { index: 2, reason: 'type: expected one of track, identify, page, screen, group, alias' },
      ],
    });
    await waitForCount('product_events', 'ws_b', 2);
  });

  it('takes social and CRM events on /v1/events, forcing the write key’s workspace', async () => {
    const events = [
      {
        family: 'social',
        type: 'post_metrics_snapshot',
        eventId: 'sm-1',
        workspaceId: 'someone-else',
        timestamp: '2026-11-20T10:00:00Z',
        platform: 'linkedin',
        accountId: 'a',
        postId: 'p',
        metrics: { impressions: 10, likes: 2 },
      },
      {
        family: 'crm',
        type: 'deal_stage_changed',
        eventId: 'crm-1',
        timestamp: '2026-11-20T10:00:00Z',
        source: 'hubspot',
        entityId: 'd1',
        stage: 'won',
        amount: 1200.5,
        currency: 'EUR',
      },
      {
        family: 'crm',
        type: 'deal_stage_changed',
        eventId: 'crm-2',
        timestamp: '2026-11-20T10:00:00Z',
        source: 'hubspot',
        entityId: 'd2',
        stage: 'won',
        amount: -3,
        currency: 'EUR',
      },
    ];
    const res = await post('/v1/events', { events }, { key: 'pk_test_c' });
    expect(await res.json()).toMatchObject({ success: true, accepted: 2, rejected: [{ index: 2 }] });
    await waitForCount('social_post_metrics', 'ws_c', 1);
    await waitForCount('crm_deal_stage_changes', 'ws_c', 1);
    expect(
      await rows("SELECT toString(amount) AS a FROM crm_deal_stage_changes WHERE workspace_id = 'ws_c'"),
    ).toEqual([{ a: '1200.5' }]);
    expect(
      await rows(
        "SELECT toUInt32(count()) AS n FROM social_post_metrics WHERE workspace_id = 'someone-else'",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('refuses unknown keys (401), too long batches and bodies (413) and floods (429 with Retry-After)', async () => {
    expect((await post('/v1/track', { userId: 'u', event: 'x' })).status).toBe(401);
    expect((await post('/v1/track', { userId: 'u', event: 'x' }, { key: 'pk_unknown' })).status).toBe(401);
    expect((await post('/v1/track', { userId: 'u', event: 'x', writeKey: 'pk_test_b' })).status).toBe(200);
    const long = await post(
      '/v1/batch',
      { batch: Array.from({ length: 101 }, () => ({ type: 'track', userId: 'u', event: 'x' })) },
      { key: 'pk_test_b' },
    );
    expect(long.status).toBe(413);
    expect(((await long.json()) as { error: { message: string } }).error.message).toContain(
      'at most 100 events',
    );
    const big = await post(
      '/v1/track',
      { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(70_000) } },
      { key: 'pk_test_b' },
    );
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toContain('65536 bytes');
    expect((await post('/v1/batch', undefined, { key: 'pk_test_b', raw: '{not json' })).status).toBe(400);
    // 100 batches at once: 10,000 events against a bucket of 5,000 (5 s at 1,000/s), so some must
    // be refused however slowly this machine acknowledges each batch.
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        post(
          '/v1/batch',
          { batch: Array.from({ length: 100 }, (_, j) => ({ type: 'track', userId: 'u', event: `e${j}` })) },
          { key: 'pk_test_slow' },
        ),
      ),
    );
    const limited = answers.find((r) => r.status === 429);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('dead-letters undecodable and invalid messages with their reason, in the topic and the table', async () => {
    await bus.produce(topicFor('product'), [
      { key: 'ws_dlq:x', value: Buffer.from('{"broken'), headers: {}, timestamp: Date.now() },
      {
        key: 'ws_dlq:y',
        value: Buffer.from(
          JSON.stringify({
            family: 'product',
            type: 'track',
            eventId: 'bad-1',
            workspaceId: 'ws_dlq',
            timestamp: 'yesterday',
            userId: 'u',
            event: 'x',
          }),
        ),
        headers: {},
        timestamp: Date.now(),
      },
    ]);
    await waitForCount('ingest_errors', 'ws_dlq', 2);
    expect(
      await rows("SELECT step, reason FROM ingest_errors WHERE workspace_id = 'ws_dlq' ORDER BY reason"),
    ).toEqual([
      { step: 'validate', reason: 'contract_violation' },
      { step: 'decode', reason: 'invalid_json' },
    ]);
    const letters: string[] = [];
    const consumer = await bus.consume({
      groupId: 'dlq-reader',
      topics: [deadLetterTopic],
      maxWaitMs: 20,
      eachBatch: async (b) => void letters.push(...b.messages.map((m) => m.headers['dlq-reason']!)),
    });
    await expect.poll(() => letters.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    await consumer.stop();
    expect(letters).toEqual(expect.arrayContaining(['invalid_json', 'contract_violation']));
  });

  it('adds nothing when an insert succeeded but its batch is delivered again (lost acknowledgement)', async () => {
    // A warehouse whose first insert lands but reports a retriable failure, as when the process
    // dies between the insert and the offset commit: the batch comes back with the same range and
    // token, and the retried insert adds nothing.
    const dataPath = join(root, 'bus-lost-ack');
    const lossyBus = await createEmbeddedBus({ dataPath });
    let failed = 0;
    const lossy = afterEachInsert(warehouse, ({ table }) => {
      if (table === 'product_events' && failed++ === 0)
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
    const lossyIngester = await createIngester({
      bus: lossyBus,
      warehouse: lossy,
      logger,
      groupId: 'lossy',
      maxWaitMs: 20,
    });
    await lossyBus.produce(
      topicFor('product'),
      Array.from({ length: 25 }, (_, i) => ({
        key: `ws_lossy:u${i}`,
        value: Buffer.from(
          JSON.stringify({
            family: 'product',
            type: 'track',
            eventId: `lossy-${i}`,
            workspaceId: 'ws_lossy',
            timestamp: '2026-11-20T10:00:00Z',
            userId: `u${i}`,
            event: 'x',
          }),
        ),
        headers: {},
        timestamp: Date.now(),
      })),
    );
    await expect
      .poll(async () => (await lossyIngester.lag()).reduce((sum, l) => sum + l.lag, 0), { timeout: 15_000 })
      .toBe(0);
    await lossyIngester.stop();
    await lossyBus.close();
    expect(failed).toBeGreaterThanOrEqual(2);
    const [stats] = await rows<{ n: number; u: number }>(
      "SELECT toUInt32(count()) AS n, toUInt32(uniqExact(event_id)) AS u FROM product_events WHERE workspace_id = 'ws_lossy'",
    );
    expect(stats).toEqual({ n: 25, u: 25 });
  });

  it('answers 503 with Retry-After, acknowledging nothing, while the bus is unavailable', async () => {
    const closedBus = await createEmbeddedBus({ dataPath: join(root, 'closed-bus') });
    await closedBus.ensureTopics([{ name: topicFor('product'), partitions: 1 }]);
    await closedBus.close();
    const other = Fastify();
    registerCollector(other, {
      bus: closedBus,
      config: loadConfig({}).collector,
      logger,
      resolveWriteKey: async (key) => keys[key],
    });
    const res = await other.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: basic('pk_test_a'), 'content-type': 'application/json' },
      payload: { userId: 'u', event: 'x' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().error.code).toBe('BUS_UNAVAILABLE');
    await other.close();
  });
});
