import { type Logger, PulseError } from '@pulse/core';
import { CompressionTypes, type IHeaders, Kafka, logLevel } from 'kafkajs';
import type { Bus, BusConsumer, BusMessage, ConsumerOptions, MessageBatch } from '../bus.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  replication?: number;
}

/**
 * The bus on Apache Kafka through kafkajs: an idempotent producer that waits for all in-sync
 * replicas (acks = -1) and compresses with GZIP (built into kafkajs; LZ4/ZSTD need native codecs);
 * consumer groups that commit offsets only after the handler succeeded. Short timeouts, so a
 * downed broker becomes a retriable BUS_UNAVAILABLE in seconds instead of a hang.
 */
export function createKafkaBus(options: KafkaBusOptions): Bus {
  const { logger } = options;
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
        const method = level <= logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'debug';
        logger[method]({ kafka: extra }, `kafka: ${message}`);
      },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  let connecting: Promise<void> | undefined;
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
          numPartitions: t.partitions,
          replicationFactor: options.replication ?? 1,
        })),
      });
    },
    async produce(topic, messages: BusMessage[]) {
      try {
        await connect();
        await producer.send({
          topic,
          acks: -1,
          compression: CompressionTypes.GZIP,
          messages: messages.map((m) => ({
            key: m.key,
            value: m.value,
            headers: m.headers,
            timestamp: String(m.timestamp),
          })),
        });
      } catch (err) {
        throw unavailable(err, `could not produce to ${topic}`);
      }
    },
    async consume(consumerOptions: ConsumerOptions): Promise<BusConsumer> {
      await connect();
      const consumer = kafka.consumer({
        groupId: consumerOptions.groupId,
        maxWaitTimeInMs: consumerOptions.maxWaitMs ?? 200,
        maxBytes: consumerOptions.maxBytes ?? 8 * 1024 * 1024,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: consumerOptions.topics, fromBeginning: true });
      let backoffMs = 100;
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const messages = batch.messages.slice(0, consumerOptions.maxMessages ?? 10_000).map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key?.toString('utf8') ?? '',
            value: m.value ?? Buffer.alloc(0),
            headers: toHeaders(m.headers),
            timestamp: Number(m.timestamp),
          }));
          const handed: MessageBatch = {
            topic: batch.topic,
            partition: batch.partition,
            messages,
            lastOffset: messages.at(-1)!.offset,
          };
          try {
            await consumerOptions.eachBatch(handed);
            resolveOffset(String(handed.lastOffset));
            await consumer.commitOffsets([
              { topic: batch.topic, partition: batch.partition, offset: String(handed.lastOffset + 1) },
            ]);
            backoffMs = 100;
          } catch (err) {
            consumerOptions.onError?.(err, handed);
            await new Promise((r) => setTimeout(r, backoffMs));
            backoffMs = Math.min(backoffMs * 2, 5000);
            // Nothing of this batch is resolved: fetch it again from its first offset.
            consumer.seek({
              topic: batch.topic,
              partition: batch.partition,
              offset: String(messages[0]!.offset),
            });
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
