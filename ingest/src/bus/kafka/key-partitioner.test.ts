import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner } from './kafka-bus.ts';

describe('key partitioner', () => {
  it('picks the partition kafkajs’s Java-compatible DefaultPartitioner picks, for every key', () => {
    const ours = keyPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys = ['', '0', '1', 'ws_1:user_9', 'ünïcödé:🚀', 'a'.repeat(257)];
    for (let i = 0; i < 3000; i++)
      keys.push(`ws_${i % 7}:${(i * 2_654_435_761).toString(36)}${'é'.repeat(i % 5)}`);
    for (const partitions of [1, 3, 7, 64]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({
        partitionId: p,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
        expect(ours({ ...args, message: { key: Buffer.from(key), value: 'v' } })).toBe(theirs(args));
      }
    }
  });
});
