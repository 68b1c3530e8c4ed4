import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PulseError } from '@pulse/core';
import type { Bus, BusConsumer, BusMessage, ConsumerOptions, MessageBatch } from '../bus.ts';
import { partitionFor } from '../partition-for.ts';
import { OffsetStore } from './offset-store.ts';
import { type FsyncPolicy, PartitionLog } from './partition-log.ts';

export interface EmbeddedBusOptions {
  dataPath: string;
  /** `always` (default): acknowledged means fsynced. `never` leaves flushing to the OS. */
  fsync?: FsyncPolicy;
  segmentBytes?: number;
  retention?: { maxBytes: number; maxAgeMs: number };
  defaultPartitions?: number;
  /**
   * Per partition, bytes of just-acknowledged records kept in memory for consumers that keep up
   * (default 16 MiB); they get them, and the producer's decoded values, without reading the file.
   */
  tailBytes?: number;
}

/**
 * The bus when no Kafka is configured: a durable append-only log on local disk with Kafka's
 * semantics — topics of partitions, keys that pin ordering to a partition, consumer groups with
 * committed offsets, at-least-once delivery. One process owns the directory.
 */
export async function createEmbeddedBus(options: EmbeddedBusOptions): Promise<Bus> {
  const topics = new Map<string, PartitionLog[]>();
  const offsets = new OffsetStore(join(options.dataPath, '__offsets'));
  const listeners = new Set<() => void>();
  /** Consumer groups reading now, by topic: the in-memory tail is kept until all of them have it. */
  const readers = new Map<string, Set<string>>();
  const logOptions = {
    segmentBytes: options.segmentBytes ?? 64 * 1024 * 1024,
    fsync: options.fsync ?? 'always',
    ...(options.tailBytes === undefined ? {} : { tailBytes: options.tailBytes }),
  };
  const retention = options.retention ?? { maxBytes: 10 * 1024 ** 3, maxAgeMs: 7 * 86_400_000 };
  let closed = false;

  // Topics already on disk come back with their partitions.
  if (existsSync(options.dataPath)) {
    for (const name of readdirSync(options.dataPath).filter((n) => !n.startsWith('__'))) {
      const partitions = readdirSync(join(options.dataPath, name)).filter((p) => /^\d+$/.test(p)).length;
      topics.set(
        name,
        await Promise.all(
          Array.from({ length: partitions }, (_, i) =>
            PartitionLog.open(join(options.dataPath, name, String(i)), logOptions),
          ),
        ),
      );
    }
  }
  const retentionTimer = setInterval(() => {
    for (const logs of topics.values()) for (const log of logs) log.applyRetention(retention);
  }, 60_000);
  retentionTimer.unref();

  const logsOf = (topic: string): PartitionLog[] => {
    const logs = topics.get(topic);
    if (!logs)
      throw new PulseError('BUS_UNKNOWN_TOPIC', `topic ${topic} does not exist`, {
        hint: 'Create it with ensureTopics at start.',
      });
    return logs;
  };

  return {
    kind: 'embedded',
    async ensureTopics(wanted) {
      for (const { name, partitions } of wanted) {
        if (topics.has(name)) continue;
        topics.set(
          name,
          await Promise.all(
            Array.from({ length: partitions || (options.defaultPartitions ?? 3) }, (_, i) =>
              PartitionLog.open(join(options.dataPath, name, String(i)), logOptions),
            ),
          ),
        );
      }
    },
    async produce(topic, messages: BusMessage[]) {
      if (closed) throw new PulseError('BUS_UNAVAILABLE', 'the embedded log is closed', { retriable: true });
      const logs = logsOf(topic);
      // Decoded values are kept for consumers in this process only; a topic nobody here reads
      // (the dead letters) keeps none, so they cost no memory until the tail lets them go.
      const read = (readers.get(topic)?.size ?? 0) > 0;
      const byPartition = new Map<number, BusMessage[]>();
      for (const original of messages) {
        const m = read || original.payload === undefined ? original : { ...original, payload: undefined };
        const p = partitionFor(m.key, logs.length);
        const list = byPartition.get(p);
        if (list) list.push(m);
        else byPartition.set(p, [m]);
      }
      try {
        await Promise.all([...byPartition].map(([p, list]) => logs[p]!.append(list)));
      } catch (err) {
        throw new PulseError('BUS_UNAVAILABLE', `could not append to ${topic}: ${(err as Error).message}`, {
          retriable: true,
          cause: err,
          hint: 'Check free disk space and permissions under PULSE_DATA_DIR.',
        });
      }
      for (const notify of listeners) notify();
    },
    async consume(consumer: ConsumerOptions): Promise<BusConsumer> {
      let stopped = false;
      let wake: (() => void) | undefined;
      const notify = () => wake?.();
      listeners.add(notify);
      const maxMessages = consumer.maxMessages ?? 10_000;
      const maxBytes = consumer.maxBytes ?? 8 * 1024 * 1024;
      const lingerMs = consumer.lingerMs ?? 0;
      const firstReadable = new Map<string, number>();
      for (const topic of consumer.topics) {
        const groups = readers.get(topic) ?? new Set<string>();
        groups.add(consumer.groupId);
        readers.set(topic, groups);
      }
      const commit = (topic: string, partition: number, offset: number) => {
        offsets.commit(consumer.groupId, topic, partition, offset);
        let everyone = offset;
        for (const group of readers.get(topic) ?? [])
          everyone = Math.min(everyone, offsets.get(group, topic, partition));
        logsOf(topic)[partition]?.release(everyone);
      };
      const loop = (async () => {
        let backoffMs = 100;
        while (!stopped) {
          let handled = false;
          for (const topic of consumer.topics) {
            for (const [partition, log] of logsOf(topic).entries()) {
              const from = offsets.get(consumer.groupId, topic, partition);
              const pending = offsets.pending(consumer.groupId, topic, partition);
              // A batch handed out before a crash or a failure comes back with exactly its range.
              const redo = pending && pending[0] === from ? pending[1] : undefined;
              const key = `${topic}/${partition}`;
              if (redo === undefined) {
                // A partial batch lingers without being read: a wake-up (every acknowledged write)
                // looks at the log's end and size only, and the records are read and decoded once,
                // when the batch is full (messages or bytes) or its linger is over.
                if (log.endOffset <= from) continue;
                const since = firstReadable.get(key) ?? Date.now();
                firstReadable.set(key, since);
                if (
                  Date.now() - since < lingerMs &&
                  log.endOffset - from < maxMessages &&
                  (log.bytesAfter(from) ?? Number.POSITIVE_INFINITY) < maxBytes
                )
                  continue;
              }
              const records = await log.read(
                from,
                maxBytes,
                redo === undefined ? maxMessages : Math.min(maxMessages, redo - from + 1),
              );
              firstReadable.delete(key);
              if (records.length === 0) continue;
              offsets.setPending(consumer.groupId, topic, partition, [from, records.at(-1)!.offset]);
              const batch: MessageBatch = {
                topic,
                partition,
                lastOffset: records.at(-1)!.offset,
                messages: records.map((r) => ({ ...r, topic, partition })),
              };
              try {
                await consumer.eachBatch(batch);
                commit(topic, partition, batch.lastOffset + 1);
                backoffMs = 100;
                handled = true;
              } catch (err) {
                consumer.onError?.(err, batch);
                await sleep(backoffMs);
                backoffMs = Math.min(backoffMs * 2, 5000);
              }
              if (stopped) return;
            }
          }
          if (!handled) {
            // Sleep until a write, the poll interval, or the first lingering batch is due.
            const now = Date.now();
            let waitMs = consumer.maxWaitMs ?? 200;
            for (const since of firstReadable.values()) waitMs = Math.min(waitMs, since + lingerMs - now);
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, Math.max(0, waitMs));
            });
          }
        }
      })();
      return {
        async lag() {
          return consumer.topics.flatMap((topic) =>
            logsOf(topic).map((log, partition) => ({
              topic,
              partition,
              lag: log.endOffset - offsets.get(consumer.groupId, topic, partition),
            })),
          );
        },
        async stop() {
          stopped = true;
          wake?.();
          listeners.delete(notify);
          await loop;
          for (const topic of consumer.topics) readers.get(topic)?.delete(consumer.groupId);
        },
      };
    },
    ping: async () => !closed,
    async close() {
      closed = true;
      clearInterval(retentionTimer);
      for (const logs of topics.values()) for (const log of logs) await log.close();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
