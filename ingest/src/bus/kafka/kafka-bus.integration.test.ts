import { createLogger, PulseError } from '@pulse/core';
import { type LocalKafka, startKafka } from '@pulse/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, ConsumedMessage } from '../bus.ts';
import { createKafkaBus } from './kafka-bus.ts';

let kafka: LocalKafka;
let bus: Bus;
beforeAll(async () => {
  kafka = await startKafka();
  bus = createKafkaBus({
    brokers: kafka.brokers,
    clientId: 'pulse-test',
    logger: createLogger({ level: 'silent', serviceName: 'test' }),
  });
}, 120_000);
afterAll(async () => {
  await bus?.close();
  await kafka?.destroy();
});

const message = (key: string, n: number) => ({
  key,
  value: Buffer.from(`v${n}`),
  headers: { 'schema-version': '1', n: String(n) },
  timestamp: 1_700_000_000_000 + n,
});

describe('Kafka bus (real broker)', () => {
  it('creates topics, round-trips messages with headers, and redelivers a batch whose handler failed', async () => {
    await bus.ensureTopics([{ name: 'pulse.test', partitions: 3 }]);
    await bus.ensureTopics([{ name: 'pulse.test', partitions: 3 }]); // idempotent
    await bus.produce(
      'pulse.test',
      Array.from({ length: 20 }, (_, n) => message(`key-${n % 4}`, n)),
    );
    const seen: ConsumedMessage[] = [];
    let failures = 0;
    const consumer = await bus.consume({
      groupId: 'g1',
      topics: ['pulse.test'],
      async eachBatch(batch) {
        if (failures++ < 1) throw new Error('insert failed');
        seen.push(...batch.messages);
      },
    });
    await expect.poll(() => seen.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(20);
    await consumer.stop();
    expect(new Set(seen.map((m) => m.headers.n)).size).toBe(20);
    const ofKey0 = seen.filter((m) => m.key === 'key-0');
    expect(new Set(ofKey0.map((m) => m.partition)).size).toBe(1);
    expect(ofKey0.map((m) => Number(m.headers.n))).toEqual([0, 4, 8, 12, 16]);
  }, 120_000);

  it('answers a retriable BUS_UNAVAILABLE within seconds while the broker is down, and works again after', async () => {
    await kafka.stop();
    const started = Date.now();
    const err = await bus.produce('pulse.test', [message('k', 100)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PulseError);
    expect(err).toMatchObject({ code: 'BUS_UNAVAILABLE', retriable: true });
    expect(Date.now() - started).toBeLessThan(30_000);
    await kafka.restart();
    await expect
      .poll(
        async () =>
          bus.produce('pulse.test', [message('k', 101)]).then(
            () => true,
            () => false,
          ),
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(true);
  }, 180_000);
});
