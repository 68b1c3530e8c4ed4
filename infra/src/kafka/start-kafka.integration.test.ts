import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalKafka, startKafka } from './start-kafka.ts';

let kafka: LocalKafka;
beforeAll(async () => {
  kafka = await startKafka();
}, 120_000);
afterAll(async () => kafka?.destroy());

describe('local Kafka broker', () => {
  it('creates topics, keeps acknowledged messages across a restart, and serves consumer groups', async () => {
    const client = new Kafka({ brokers: kafka.brokers, clientId: 'pulse-test', logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'smoke', numPartitions: 3 }], waitForLeaders: true });
    const [meta] = (await admin.fetchTopicMetadata({ topics: ['smoke'] })).topics;
    expect(meta!.partitions).toHaveLength(3);
    await admin.disconnect();

    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: 'smoke',
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({
        key: `k${i % 4}`,
        value: `v${i}`,
        headers: { n: String(i) },
      })),
    });
    await producer.disconnect();

    await kafka.restart();

    const consumer = client.consumer({ groupId: 'smoke-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'smoke', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await expect.poll(() => seen.length, { timeout: 60_000 }).toBe(30);
    await consumer.disconnect();
    expect(new Set(seen).size).toBe(30);
  }, 180_000);
});
