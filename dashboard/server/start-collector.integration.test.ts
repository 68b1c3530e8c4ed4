import { createLogger, type MetadataStore, streamFamilies } from '@pulse/core';
import { createScratchMetadata, type ScratchMetadata } from '@pulse/core/testing/scratch-metadata';
import { type LocalKafka, startKafka } from '@pulse/infra';
import { type Bus, type ConsumedMessage, createKafkaBus, topicFor } from '@pulse/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from './start-collector.ts';

// `pulse collector` on its own, as the scaled-out layout runs it: a real Kafka broker and a real
// PostgreSQL metadata store shared with the other roles; write keys are looked up there.
let kafka: LocalKafka;
let scratch: ScratchMetadata;
let metadata: MetadataStore;
let databaseUrl: string;
let collector: RunningCollector;
let reader: Bus;
let writeKey: string;
let workspaceId: string;

beforeAll(async () => {
  kafka = await startKafka();
  scratch = await createScratchMetadata('postgres');
  metadata = scratch.store;
  databaseUrl = scratch.databaseUrl!;
  const workspace = await metadata.workspaces.create({ slug: 'collector', name: 'Collector' });
  workspaceId = workspace.id;
  const source = await metadata.sources.create({
    workspaceId,
    family: 'product',
    provider: 'segment',
    name: 'App',
  });
  writeKey = (await metadata.sources.createWriteKey(source.id)).key;
  collector = await startCollector({
    KAFKA_BROKERS: kafka.brokers.join(','),
    DATABASE_URL: databaseUrl,
    PULSE_HOST: '127.0.0.1',
    PULSE_PORT: '0',
    PULSE_LOG_LEVEL: 'silent',
  });
  reader = createKafkaBus({
    brokers: kafka.brokers,
    clientId: 'collector-test',
    logger: createLogger({ level: 'silent', serviceName: 'test' }),
  });
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  await reader?.close();
  await scratch?.cleanup();
  await kafka?.destroy();
});

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('pulse collector (the collector role in its own process)', () => {
  it('acknowledges Segment batches with a write key from the shared store and puts them on Kafka', async () => {
    const batch = Array.from({ length: 30 }, (_, i) => ({
      type: 'track',
      userId: `u${i % 3}`,
      event: 'Report Exported',
      properties: { i },
    }));
    const res = await fetch(`${collector.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(writeKey) },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.json()).toMatchObject({ success: true, accepted: 30, rejected: [] });

    const seen: ConsumedMessage[] = [];
    const consumer = await reader.consume({
      groupId: 'collector-test',
      topics: streamFamilies.map(topicFor),
      async eachBatch(b) {
        seen.push(...b.messages);
      },
    });
    await expect.poll(() => seen.length, { timeout: 60_000 }).toBe(30);
    await consumer.stop();
    const events = seen.map((m) => JSON.parse(m.value.toString('utf8')) as Record<string, unknown>);
    // The workspace comes from the write key, never from the body.
    expect(new Set(events.map((e) => e.workspaceId))).toEqual(new Set([workspaceId]));
    expect(events.map((e) => (e.properties as { i: number }).i).sort((a, b) => a - b)).toEqual(
      batch.map((_, i) => i),
    );
    expect(seen[0]!.headers['schema-version']).toBe('1');
  }, 120_000);

  it('refuses an unknown write key, and reports health and its own metrics', async () => {
    const refused = await fetch(`${collector.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('not-a-key') },
      body: JSON.stringify({ userId: 'u', event: 'x' }),
    });
    expect(refused.status).toBe(401);
    const health = await fetch(`${collector.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', role: 'collector', bus: true });
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/pulse_collector_produced_total\{[^}]*family="product"[^}]*\} 30/);
  });

  it('will not start without a shared bus and metadata store, and says what to set', async () => {
    await expect(startCollector({ DATABASE_URL: databaseUrl })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('KAFKA_BROKERS'),
    });
    await expect(startCollector({ KAFKA_BROKERS: kafka.brokers.join(',') })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('DATABASE_URL'),
    });
  });
});
