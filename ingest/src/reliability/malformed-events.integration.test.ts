import { createLogger } from '@pulse/core';
import { type LocalKafka, startKafka } from '@pulse/infra';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaBus, deadLetterTopic, topicFor } from '../bus/index.ts';
import { createIngester } from '../ingester/index.ts';
import { malformedStream } from './malformed-stream.fixture.ts';
import { countLanded, stopMerges } from './track-events.fixture.ts';

// 1% malformed messages in a Kafka stream: every one ends in the dead-letter topic and in the
// ingest_errors table with its reason, and every valid one lands exactly once. (Throughput next to
// a clean stream is a benchmark: `npm run bench -- ingest-malformed`.)
let kafka: LocalKafka;
let scratch: ScratchWarehouse;
beforeAll(async () => {
  [kafka, scratch] = await Promise.all([startKafka(), createScratchWarehouse()]);
  await stopMerges(scratch.warehouse);
}, 120_000);
afterAll(async () => {
  await kafka?.destroy();
  await scratch?.cleanup();
});

describe('malformed events in a Kafka stream', () => {
  it('dead-letters every malformed event with its reason, to the topic and the table, and lands the rest once', async () => {
    const event = 'Malformed Mix';
    const logger = createLogger({ level: 'silent', serviceName: 'test' });
    const bus = createKafkaBus({ brokers: kafka.brokers, clientId: 'malformed', logger });
    const stream = malformedStream('mal', 20_000, event);
    const ingester = await createIngester({ bus, warehouse: scratch.warehouse, logger, maxWaitMs: 100 });
    for (let i = 0; i < stream.messages.length; i += 1000)
      await bus.produce(topicFor('product'), stream.messages.slice(i, i + 1000));

    await expect
      .poll(() => ingester.stats().inserted + ingester.stats().deadLettered, { timeout: 90_000 })
      .toBeGreaterThanOrEqual(stream.messages.length);
    await ingester.stop();

    // The dead-letter topic, read back by a consumer of its own.
    const dead = new Map<string, { reason: string; source: string }>();
    const reader = await bus.consume({
      groupId: 'dlq-reader',
      topics: [deadLetterTopic],
      async eachBatch(batch) {
        for (const m of batch.messages)
          dead.set(m.value.toString('utf8'), {
            reason: m.headers['dlq-reason']!,
            source: m.headers['dlq-source']!,
          });
      },
    });
    await expect.poll(() => dead.size, { timeout: 60_000 }).toBeGreaterThanOrEqual(stream.malformed.size);
    await reader.stop();
    await bus.close();

    const errors = await (
      await scratch.warehouse.client.query({
        query: 'SELECT payload, reason, step FROM ingest_errors WHERE topic = {topic:String}',
        query_params: { topic: topicFor('product') },
        format: 'JSONEachRow',
      })
    ).json<{ payload: string; reason: string; step: string }>();
    const table = new Map(errors.map((e) => [e.payload, e]));
    const landed = await countLanded(scratch.warehouse, event);
    console.info(
      `malformed: ${stream.messages.length} messages, ${stream.malformed.size} malformed; dead-letter topic ${dead.size}, ingest_errors ${errors.length}, landed ${landed.rows}`,
    );

    expect(stream.malformed.size).toBe(200);
    for (const [payload, reason] of stream.malformed) {
      expect(dead.get(payload)?.reason, payload).toBe(reason);
      expect(dead.get(payload)?.source).toMatch(/^pulse\.events\.product\/\d+\/\d+$/);
      expect(table.get(payload)?.reason, payload).toBe(reason);
    }
    expect(errors.length).toBe(stream.malformed.size); // each once in the table
    expect(dead.size).toBe(stream.malformed.size); // and nothing valid dead-lettered
    expect(landed.rows).toBe(stream.validCount);
    expect(landed.distinct).toBe(stream.validCount);
  }, 240_000);
});
