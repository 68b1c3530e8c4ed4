import { type Logger, PulseError } from '@pulse/core';
import {
  type ICustomPartitioner,
  type IHeaders,
  Kafka,
  logLevel,
  type PartitionOffset,
  Partitioners,
} from 'kafkajs';
import type { Bus, BusConsumer, BusMessage, ConsumerOptions, MessageBatch } from '../bus.ts';
import { partitionFor } from '../partition-for.ts';
import { cutBatch, intentMetadata, readDurablePosition } from './batch-intent.ts';
import { type KafkaCompression, kafkaCodec, topicCompressionType } from './compression.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /**
   * Settings of every topic `ensureTopics` creates (PULSE_KAFKA_*): `partitions` overrides the
   * count the caller asks for. Existing topics are never altered. Defaults: the caller's count,
   * replication 1, zstd.
   */
  topics?: { partitions?: number; replicationFactor?: number; compression?: KafkaCompression };
  /**
   * How long the group waits for a silent member before giving its partitions to another (kafkajs
   * default 30 s; the broker refuses less than its group.min.session.timeout.ms, 6 s by default).
   */
  sessionTimeoutMs?: number;
}

/**
 * The bus on Apache Kafka through kafkajs: an idempotent producer that waits for all in-sync
 * replicas (acks = -1) and compresses with the configured codec; consumer groups that commit
 * offsets only after the handler succeeded, and that hand out a failed or interrupted batch again
 * with exactly the same offsets (see batch-intent.ts), so its deduplication token holds across
 * retries, rebalances and crashes. Short timeouts, so a downed broker becomes a retriable
 * BUS_UNAVAILABLE in seconds instead of a hang.
 */
export function createKafkaBus(options: KafkaBusOptions): Bus {
  const { logger } = options;
  const compression = options.topics?.compression ?? 'zstd';
  const codec = kafkaCodec(compression);
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        logger[kafkaLogMethod(level, message)]({ kafka: extra }, `kafka: ${message}`);
      },
  });
  const admin = kafka.admin();
  const newProducer = () =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: keyPartitioner,
    });
  let producer = newProducer();
  /**
   * After a failed send the broker may hold its records anyway (it appended them, then went down
   * before answering). kafkajs keeps the failed batch's sequence numbers for the next send, which
   * the broker would then take for a retry of the batch it has and answer "duplicate": the next
   * callers' records acknowledged, never written. A new producer gets a new producer id from the
   * broker, so its sequence numbers cannot collide with what the old one may have left there.
   */
  const replaceProducer = async () => {
    const old = producer;
    producer = newProducer();
    connecting = undefined;
    await old.disconnect().catch(() => undefined);
  };
  let connecting: Promise<void> | undefined;
  type Waiting = { messages: BusMessage[]; resolve(): void; reject(err: unknown): void };
  const pending = new Map<string, { waiting: Waiting[]; sending: boolean }>();
  /** Most messages in one merged send, well under the broker's record-batch size limit. */
  const maxMergedMessages = 2000;
  async function flush(topic: string, queue: { waiting: Waiting[]; sending: boolean }): Promise<void> {
    queue.sending = true;
    while (queue.waiting.length > 0) {
      const group: Waiting[] = [];
      let count = 0;
      while (
        queue.waiting.length > 0 &&
        (group.length === 0 || count + queue.waiting[0]!.messages.length <= maxMergedMessages)
      ) {
        const next = queue.waiting.shift()!;
        group.push(next);
        count += next.messages.length;
      }
      try {
        await connect();
        await producer.send({
          topic,
          acks: -1,
          compression: codec,
          messages: group.flatMap((g) =>
            g.messages.map((m) => ({
              key: m.key,
              value: m.value,
              headers: m.headers,
              timestamp: String(m.timestamp),
            })),
          ),
        });
        for (const g of group) g.resolve();
      } catch (err) {
        const failure = unavailable(err, `could not produce to ${topic}`);
        await replaceProducer();
        for (const g of group) g.reject(failure);
      }
    }
    queue.sending = false;
  }
  const connect = () => {
    connecting ??= Promise.all([admin.connect(), producer.connect()]).then(
      () => {},
      (err: unknown) => {
        connecting = undefined;
        throw unavailable(err, 'could not connect to Kafka');
      },
    );
    return connecting;
  };
  const consumers = new Set<BusConsumer>();

  return {
    kind: 'kafka',
    async ensureTopics(topics) {
      await connect();
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: options.topics?.partitions ?? t.partitions,
          replicationFactor: options.topics?.replicationFactor ?? 1,
          configEntries: [{ name: 'compression.type', value: topicCompressionType(compression) }],
        })),
      });
    },
    // Group commit: calls that arrive while a send is in flight ride together in the next one, so
    // many small HTTP batches cost one produce round trip (the producer allows one in flight to
    // keep per-partition order). Each caller resolves only when the send holding its messages is
    // acknowledged by all in-sync replicas, and fails with it.
    async produce(topic, messages: BusMessage[]) {
      return new Promise<void>((resolve, reject) => {
        let queue = pending.get(topic);
        if (!queue) {
          queue = { waiting: [], sending: false };
          pending.set(topic, queue);
        }
        queue.waiting.push({ messages, resolve, reject });
        if (!queue.sending) void flush(topic, queue);
      });
    },
    async consume(consumerOptions: ConsumerOptions): Promise<BusConsumer> {
      await connect();
      const consumer = kafka.consumer({
        groupId: consumerOptions.groupId,
        // The broker holds a fetch until it has `minBytes` (compressed) or the linger passed: at
        // high rates the handler gets fewer, larger batches — one warehouse part each instead of
        // many small ones — and at low rates an event waits at most the linger.
        minBytes: consumerOptions.lingerMs ? lingerMinBytes : 1,
        maxWaitTimeInMs: consumerOptions.lingerMs ?? consumerOptions.maxWaitMs ?? 200,
        maxBytes: consumerOptions.maxBytes ?? 8 * 1024 * 1024,
        // One limit for the whole fetch and each partition: a fetch from an intent's first offset
        // then returns at least the messages of the fetch the intent was cut from.
        maxBytesPerPartition: consumerOptions.maxBytes ?? 8 * 1024 * 1024,
        ...(options.sessionTimeoutMs ? { sessionTimeout: options.sessionTimeoutMs } : {}),
      });
      const { groupId } = consumerOptions;
      await consumer.connect();
      await consumer.subscribe({ topics: consumerOptions.topics, fromBeginning: true });
      let backoffMs = 100;
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Partitions are handled side by side: one partition's decode and validation overlap
        // another's warehouse insert and offset commits (each keeps its own order and intent).
        partitionsConsumedConcurrently: consumerOptions.concurrency ?? 3,
        eachBatch: async ({
          batch,
          heartbeat,
          isRunning,
          isStale,
          resolveOffset,
          commitOffsetsIfNecessary,
        }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const { topic, partition } = batch;
          const fetched = batch.messages.map((m) => ({
            topic,
            partition,
            offset: Number(m.offset),
            key: m.key?.toString('utf8') ?? '',
            value: m.value ?? Buffer.alloc(0),
            headers: toHeaders(m.headers),
            timestamp: Number(m.timestamp),
          }));
          // Throws on a stale generation: a member that lost the partition never writes an intent.
          // kafkajs sends `metadata` with the commit; only its PartitionOffset type omits it.
          const commit = (offset: number, metadata: string | null) =>
            commitOffsetsIfNecessary({
              topics: [
                { topic, partitions: [{ partition, offset: String(offset), metadata } as PartitionOffset] },
              ],
            });
          const first = fetched[0]!.offset;
          let handed: MessageBatch | undefined;
          try {
            const position = await readDurablePosition(admin, groupId, topic, partition);
            const cut = cutBatch(fetched, position, consumerOptions.maxMessages ?? 10_000);
            if (cut.kind !== 'hand') {
              if (cut.kind === 'wait') {
                logger.warn(
                  { topic, partition, first },
                  'batch intent longer than the fetch; fetching again',
                );
                await sleep(backoffMs);
              }
              consumer.seek({ topic, partition, offset: String(cut.offset) });
              return;
            }
            const lastOffset = cut.messages.at(-1)!.offset;
            handed = { topic, partition, messages: cut.messages, lastOffset };
            if (cut.replay)
              logger.info({ topic, partition, first, last: lastOffset }, 'replaying a batch intent');
            else await commit(first, intentMetadata(lastOffset));
            await consumerOptions.eachBatch(handed);
            resolveOffset(String(lastOffset));
            await commit(lastOffset + 1, null);
            backoffMs = 100;
          } catch (err) {
            if (handed) consumerOptions.onError?.(err, handed);
            else logger.warn({ err, topic, partition }, 'could not record a batch intent; retrying');
            await sleep(backoffMs);
            backoffMs = Math.min(backoffMs * 2, 5000);
            // Nothing of this batch counts as done: fetch it again from its first offset.
            if (isRunning()) consumer.seek({ topic, partition, offset: String(first) });
          }
          await heartbeat();
        },
      });
      const committed = async (topic: string, partition: number): Promise<number> => {
        const [entry] = await admin.fetchOffsets({ groupId: consumerOptions.groupId, topics: [topic] });
        const offset = Number(entry?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
        return Math.max(offset, 0);
      };
      const handle: BusConsumer = {
        async lag() {
          const result: { topic: string; partition: number; lag: number }[] = [];
          for (const topic of consumerOptions.topics) {
            const ends = await admin.fetchTopicOffsets(topic);
            for (const end of ends)
              result.push({
                topic,
                partition: end.partition,
                lag: Number(end.high) - (await committed(topic, end.partition)),
              });
          }
          return result;
        },
        async stop() {
          consumers.delete(handle);
          await consumer.disconnect();
        },
      };
      consumers.add(handle);
      return handle;
    },
    async ping() {
      try {
        await connect();
        await admin.describeCluster();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      for (const c of [...consumers]) await c.stop();
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}

/**
 * About 29,000 demo events once zstd-compressed (~18 bytes each) over all partitions of a fetch:
 * at 30k events/s the broker answers after about a second with ~10,000 events a partition, where
 * an insert costs the warehouse about 16 µs per event instead of 27 at 2,500 (bench/README.md).
 */
const lingerMinBytes = 512 * 1024;

/**
 * Kafka's default partitioner — toPositive(murmur2(key)) % partitions, as the Java client and
 * kafkajs's DefaultPartitioner compute it, so other producers keyed by the same entity land on the
 * same partition — through `partitionFor` (the embedded log's), in 32-bit integer arithmetic: kafkajs's own goes through 64-bit Long objects and
 * filters the partition list for every message (~1.5 µs per event in the collector's profile).
 * Messages without a key (Pulse sends none) are left to kafkajs's partitioner.
 */
export const keyPartitioner: ICustomPartitioner = () => {
  const keyless = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (message.key === undefined || message.key === null) return keyless(args);
    return partitionFor(
      Buffer.isBuffer(message.key) ? message.key : String(message.key),
      partitionMetadata.length,
    );
  };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {}))
    if (v !== undefined) out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

function unavailable(err: unknown, message: string): PulseError {
  if (err instanceof PulseError) return err;
  return new PulseError('BUS_UNAVAILABLE', `${message}: ${(err as Error).message}`, {
    retriable: true,
    cause: err,
    hint: 'Check that the brokers in KAFKA_BROKERS are up and reachable; the call is safe to retry.',
  });
}

/**
 * Our log level for a kafkajs log entry. kafkajs logs every error answer of the broker at ERROR
 * ("Response InitProducerId …: The coordinator is loading …"), also those it retries by itself, as
 * a fresh broker gives them at every start; those are warnings here. What stays failed after the
 * retries reaches Pulse as a thrown error, which the caller logs (and answers 503 for).
 */
export function kafkaLogMethod(level: number, message: string): 'error' | 'warn' | 'debug' {
  if (level <= logLevel.ERROR) return message.startsWith('Response ') ? 'warn' : 'error';
  return level === logLevel.WARN ? 'warn' : 'debug';
}
