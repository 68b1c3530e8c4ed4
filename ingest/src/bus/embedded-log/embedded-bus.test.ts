import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, ConsumedMessage } from '../bus.ts';
import { partitionFor } from '../partition-for.ts';
import { createEmbeddedBus } from './embedded-bus.ts';
import { PartitionLog } from './partition-log.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-log-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const message = (key: string, n: number) => ({
  key,
  value: Buffer.from(`v${n}`),
  headers: { 'schema-version': '1', n: String(n) },
  timestamp: 1_700_000_000_000 + n,
});

/** Consumes until `count` messages arrived, then stops the consumer. */
async function drain(
  bus: Bus,
  groupId: string,
  topic: string,
  count: number,
  fail?: (m: ConsumedMessage[]) => boolean,
): Promise<ConsumedMessage[]> {
  const seen: ConsumedMessage[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const consumer = await bus.consume({
    groupId,
    topics: [topic],
    maxWaitMs: 20,
    async eachBatch(batch) {
      if (fail?.(batch.messages)) throw new Error('insert failed');
      seen.push(...batch.messages);
      if (seen.length >= count) done();
    },
  });
  await Promise.race([finished, new Promise((r) => setTimeout(r, 5000))]);
  await consumer.stop();
  return seen;
}

describe('embedded durable log', () => {
  it('round-trips keys, headers and values; one key stays on one partition in order', async () => {
    const bus = await createEmbeddedBus({ dataPath: tempDir() });
    await bus.ensureTopics([{ name: 't', partitions: 4 }]);
    await bus.produce(
      't',
      Array.from({ length: 100 }, (_, n) => message(`key-${n % 5}`, n)),
    );
    const seen = await drain(bus, 'g', 't', 100);
    expect(seen).toHaveLength(100);
    for (let k = 0; k < 5; k++) {
      const ofKey = seen.filter((m) => m.key === `key-${k}`);
      expect(new Set(ofKey.map((m) => m.partition))).toEqual(new Set([partitionFor(`key-${k}`, 4)]));
      expect(ofKey.map((m) => Number(m.headers.n))).toEqual(
        [...ofKey.map((m) => Number(m.headers.n))].sort((a, b) => a - b),
      );
    }
    expect(seen.find((m) => m.headers.n === '7')).toMatchObject({
      value: Buffer.from('v7'),
      timestamp: 1_700_000_000_007,
      headers: { 'schema-version': '1' },
    });
    await bus.close();
  });

  it('lingers a partial batch into one, and hands a batch at once when it is full by messages or bytes', async () => {
    const bus = await createEmbeddedBus({ dataPath: tempDir() });
    await bus.ensureTopics([{ name: 'l', partitions: 1 }]);
    const batches: { size: number; at: number }[] = [];
    const started = Date.now();
    const consumer = await bus.consume({
      groupId: 'linger',
      topics: ['l'],
      maxWaitMs: 20,
      lingerMs: 1500,
      maxMessages: 50,
      maxBytes: 4096,
      async eachBatch(batch) {
        batches.push({ size: batch.messages.length, at: Date.now() - started });
      },
    });
    // Ten writes of one message each while the first lingers: one batch, after the linger.
    for (let n = 0; n < 10; n++) {
      await bus.produce('l', [message('k', n)]);
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect.poll(() => batches.length, { timeout: 3000 }).toBe(1);
    expect(batches[0]!.size).toBe(10);
    expect(batches[0]!.at).toBeGreaterThanOrEqual(1400);
    // 50 messages (maxMessages) in one write: handed without waiting out the linger.
    const before = Date.now() - started;
    await bus.produce(
      'l',
      Array.from({ length: 50 }, (_, i) => message('k', 100 + i)),
    );
    await expect.poll(() => batches.length, { timeout: 3000 }).toBe(2);
    expect(batches[1]!.size).toBe(50);
    expect(batches[1]!.at - before).toBeLessThan(1000);
    // More than maxBytes waiting, fewer messages than maxMessages: handed at once too.
    const big = Array.from({ length: 20 }, (_, i) => ({
      ...message('k', 200 + i),
      value: Buffer.alloc(1000, 97),
    }));
    const beforeBig = Date.now() - started;
    await bus.produce('l', big);
    await expect.poll(() => batches.slice(2).reduce((sum, b) => sum + b.size, 0), { timeout: 3000 }).toBe(20);
    expect(batches[2]!.at - beforeBig).toBeLessThan(1000);
    await consumer.stop();
    await bus.close();
  });

  it('partitions keys like Kafka’s default partitioner (murmur2)', () => {
    // Kafka: Utils.toPositive(Utils.murmur2("0".getBytes())) % n, murmur2("0") = 971027396.
    expect(partitionFor('0', 1000)).toBe(971027396 % 1000);
    expect(partitionFor('1', 1000)).toBe((-1993445489 & 0x7fffffff) % 1000);
  });

  it('resumes a group after its last commit and redelivers a batch whose handler failed', async () => {
    const dataPath = tempDir();
    let bus = await createEmbeddedBus({ dataPath });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await bus.produce(
      't',
      Array.from({ length: 10 }, (_, n) => message('k', n)),
    );
    let failures = 0;
    const first = await drain(bus, 'g', 't', 10, () => failures++ < 2);
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(first.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await bus.produce('t', [message('k', 10), message('k', 11)]);
    await bus.close();
    bus = await createEmbeddedBus({ dataPath });
    const second = await drain(bus, 'g', 't', 2);
    expect(second.map((m) => m.offset)).toEqual([10, 11]);
    expect((await drain(bus, 'other-group', 't', 12)).length).toBe(12);
    await bus.close();
  });

  it('hands a failed or crashed batch out again with exactly its offset range', async () => {
    const dataPath = tempDir();
    const bus = await createEmbeddedBus({ dataPath });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await bus.produce(
      't',
      Array.from({ length: 10 }, (_, n) => message('k', n)),
    );
    const ranges: [number, number][] = [];
    let attempts = 0;
    const consumer = await bus.consume({
      groupId: 'g',
      topics: ['t'],
      maxWaitMs: 20,
      async eachBatch(batch) {
        ranges.push([batch.messages[0]!.offset, batch.lastOffset]);
        if (attempts++ === 0) {
          await bus.produce('t', [message('k', 10), message('k', 11)]); // more arrives meanwhile
          throw new Error('insert failed');
        }
      },
    });
    await expect.poll(() => ranges.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await consumer.stop();
    expect(ranges.slice(0, 3)).toEqual([
      [0, 9],
      [0, 9],
      [10, 11],
    ]);

    // A crash: the handler never returns and the process is gone; a new owner of the directory
    // must hand out the same range first.
    await bus.produce(
      't',
      Array.from({ length: 3 }, (_, n) => message('k', 20 + n)),
    );
    const crashed = await bus.consume({
      groupId: 'g',
      topics: ['t'],
      maxWaitMs: 20,
      eachBatch: () => new Promise(() => {}),
    });
    await new Promise((r) => setTimeout(r, 200));
    const restarted = await createEmbeddedBus({ dataPath });
    await restarted.produce('t', [message('k', 30)]);
    const batches: [number, number][] = [];
    const resumed = await restarted.consume({
      groupId: 'g',
      topics: ['t'],
      maxWaitMs: 20,
      eachBatch: async (b) => void batches.push([b.messages[0]!.offset, b.lastOffset]),
    });
    await expect.poll(() => batches.length, { timeout: 5000 }).toBe(2);
    await resumed.stop();
    expect(batches).toEqual([
      [12, 14],
      [15, 15],
    ]);
    void crashed;
    await restarted.close();
  });

  it('recovers from a torn last write: complete records survive, the torn one is cut, appends go on', async () => {
    const dataPath = tempDir();
    let bus = await createEmbeddedBus({ dataPath });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await bus.produce(
      't',
      Array.from({ length: 5 }, (_, n) => message('k', n)),
    );
    await bus.close();
    const segment = join(dataPath, 't', '0', readdirSync(join(dataPath, 't', '0'))[0]!);
    const intact = statSync(segment).size;
    appendFileSync(segment, Buffer.from([0, 0, 0, 200, 1, 2, 3, 4, 5])); // half a record
    const log = await PartitionLog.open(join(dataPath, 't', '0'), { segmentBytes: 1 << 20, fsync: 'always' });
    expect(log.recoveredBytes).toBe(9);
    expect(statSync(segment).size).toBe(intact);
    await log.close();
    truncateSync(segment, intact - 3); // the last complete record loses its tail
    bus = await createEmbeddedBus({ dataPath });
    await bus.produce('t', [message('k', 99)]);
    const seen = await drain(bus, 'g', 't', 5);
    expect(seen.map((m) => m.headers.n)).toEqual(['0', '1', '2', '3', '99']);
    expect(seen.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
    await bus.close();
  });

  it('group-commits concurrent produce calls and reads across rolled segments', async () => {
    const bus = await createEmbeddedBus({ dataPath: tempDir(), segmentBytes: 4096 });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await Promise.all(
      Array.from({ length: 40 }, (_, b) =>
        bus.produce(
          't',
          Array.from({ length: 10 }, (_, i) => message('k', b * 10 + i)),
        ),
      ),
    );
    const seen = await drain(bus, 'g', 't', 400);
    expect(seen.map((m) => m.offset)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    await bus.close();
  });

  it('serves just-written records from memory exactly as the file holds them, and falls back to the file', async () => {
    const dir = tempDir();
    const record = (n: number) => ({
      key: `ws:${n % 3}`,
      headers: { n: String(n), 'schema-version': '1' },
      value: Buffer.from(JSON.stringify({ n, text: 'é'.repeat(n % 5) })),
      payload: { n, text: 'é'.repeat(n % 5) },
      timestamp: 1_700_000_000_000 + n,
    });
    // A tail of ~40 records' bytes: the first writes fall out of it, the last stay in memory.
    const log = await PartitionLog.open(dir, { segmentBytes: 4096, fsync: 'always', tailBytes: 3000 });
    for (let b = 0; b < 20; b++) await log.append(Array.from({ length: 5 }, (_, i) => record(b * 5 + i)));
    const fromMemory = await log.read(90, 1 << 20);
    expect(fromMemory.map((r) => r.offset)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    // The in-memory copy carries the producer's decoded value; the file never does.
    expect(fromMemory.map((r) => r.payload)).toEqual(fromMemory.map((r) => JSON.parse(r.value.toString())));
    await log.close();

    const reopened = await PartitionLog.open(dir, { segmentBytes: 4096, fsync: 'always', tailBytes: 3000 });
    const fromDisk = await reopened.read(90, 1 << 20);
    expect(fromDisk.map(({ payload, ...r }) => r)).toEqual(fromMemory.map(({ payload, ...r }) => r));
    expect(fromDisk.every((r) => r.payload === undefined)).toBe(true);
    await reopened.close();

    // Reading the whole log from the start: old records from the files (across segments), recent
    // ones from memory, every offset once and in order; a read stops at its record limit and the
    // next one goes on right after it.
    const log2 = await PartitionLog.open(dir, { segmentBytes: 4096, fsync: 'always', tailBytes: 3000 });
    await log2.append([record(100), record(101)]);
    const all: number[] = [];
    let sawPayload = false;
    while (all.length < 102) {
      const batch = await log2.read(all.length, 1 << 20, 7);
      expect(batch.length).toBeGreaterThan(0);
      expect(batch.length).toBeLessThanOrEqual(7);
      for (const r of batch) {
        all.push(r.offset);
        expect(r.headers.n).toBe(String(r.offset));
        if (r.payload !== undefined) sawPayload = true;
      }
    }
    expect(all).toEqual(Array.from({ length: 102 }, (_, i) => i));
    expect(sawPayload).toBe(true); // the last two came from memory
    // Once every reader has them, the copies go: the same read comes from the file.
    log2.release(102);
    const after = await log2.read(100, 1 << 20);
    expect(after.map((r) => [r.offset, r.payload])).toEqual([
      [100, undefined],
      [101, undefined],
    ]);
    await log2.close();
  });

  it("hands the producer's decoded values to a group reading in this process, and keeps none for a topic nobody reads", async () => {
    const bus = await createEmbeddedBus({ dataPath: tempDir() });
    await bus.ensureTopics([
      { name: 'read', partitions: 1 },
      { name: 'unread', partitions: 1 },
    ]);
    const withPayload = (n: number) => ({ ...message('k', n), payload: { n } });
    // Nobody consumes 'unread' while it is written: a group that comes later gets the bytes only.
    await bus.produce('unread', [withPayload(1), withPayload(2)]);
    const late = await drain(bus, 'g', 'unread', 2);
    expect(late.map((m) => [m.value.toString(), m.payload])).toEqual([
      ['v1', undefined],
      ['v2', undefined],
    ]);
    // A group is reading 'read': what is written now reaches it with the decoded value.
    const seen: ConsumedMessage[] = [];
    const consumer = await bus.consume({
      groupId: 'g',
      topics: ['read'],
      maxWaitMs: 20,
      async eachBatch(batch) {
        seen.push(...batch.messages);
      },
    });
    await bus.produce('read', [withPayload(3), withPayload(4)]);
    for (let waited = 0; seen.length < 2 && waited < 5000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    await consumer.stop();
    expect(seen.map((m) => [m.value.toString(), m.payload])).toEqual([
      ['v3', { n: 3 }],
      ['v4', { n: 4 }],
    ]);
    await bus.close();
  });

  it('drops whole old segments by age and by size, never the active one', async () => {
    const dir = tempDir();
    const log = await PartitionLog.open(dir, { segmentBytes: 1024, fsync: 'never' });
    for (let i = 0; i < 20; i++)
      await log.append([{ key: 'k', headers: {}, value: Buffer.alloc(300), timestamp: i }]);
    const before = readdirSync(dir).length;
    expect(before).toBeGreaterThan(4);
    const old = Date.now() / 1000 - 10 * 86_400;
    for (const f of readdirSync(dir).slice(0, 2)) utimesSync(join(dir, f), old, old);
    expect(log.applyRetention({ maxBytes: 1e12, maxAgeMs: 86_400_000 })).toBe(2);
    log.applyRetention({ maxBytes: 2048, maxAgeMs: 1e12 });
    expect(readdirSync(dir).length).toBeLessThanOrEqual(3);
    expect((await log.read(19, 1 << 20)).map((r) => r.offset)).toEqual([19]);
    await log.close();
  });

  it('loses no acknowledged batch and duplicates none when the producer is killed with SIGKILL', async () => {
    const dataPath = tempDir();
    const fixture = fileURLToPath(new URL('./crash-producer.fixture.ts', import.meta.url));
    const acknowledged: number[] = [];
    for (let run = 0; run < 5; run++) {
      acknowledged[run] = -1;
      const child = spawn(process.execPath, [fixture, dataPath, String(run)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout.on('data', (d: Buffer) => {
        acknowledged[run] = Math.max(acknowledged[run]!, Number(d.toString().trim().split('\n').at(-1)));
      });
      // Kill it mid-stream: after its first acknowledgements, at a different moment each run.
      for (let waited = 0; acknowledged[run]! < 0 && waited < 20_000; waited += 20)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50 + run * 70));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const bus = await createEmbeddedBus({ dataPath });
    const seen = await drain(bus, 'verify', 'events', Number.MAX_SAFE_INTEGER);
    const values = seen.map((m) => m.value.toString());
    expect(new Set(values).size).toBe(values.length);
    for (const [run, last] of acknowledged.entries()) {
      expect(last).toBeGreaterThanOrEqual(0);
      for (let batch = 0; batch <= last!; batch++) {
        expect(
          seen.filter((m) => m.headers.run === String(run) && m.headers.batch === String(batch)),
        ).toHaveLength(50);
      }
    }
    await bus.close();
  }, 60_000);
});
