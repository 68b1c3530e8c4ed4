import { propagation, ROOT_CONTEXT, type SpanContext, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  Counter,
  Gauge,
  Histogram,
  isPulseError,
  type Logger,
  type Registry,
  streamFamilies,
} from '@pulse/core';
import { insertRows, type Row, type TableName, type Warehouse } from '@pulse/warehouse';
import { type Bus, type BusConsumer, deadLetterTopic, type MessageBatch, topicFor } from '../bus/index.ts';
import { type DeadLetter, runPipeline } from './run-pipeline.ts';

export interface IngesterOptions {
  bus: Bus;
  warehouse: Warehouse;
  logger: Logger;
  metrics?: Registry;
  groupId?: string;
  /** Most events per insert; the consumer hands over smaller batches when it waited long enough. */
  maxBatchEvents?: number;
  maxWaitMs?: number;
  /**
   * How long a partial batch may wait to fill (fewer, larger inserts; PULSE_INGEST_LINGER_MS,
   * default 1 s through Kafka, 300 ms through the embedded log); see bench/README.md.
   */
  lingerMs?: number | undefined;
  /** Called after each successful insert with the workspaces whose rows it added (live views). */
  onInserted?: (workspaceIds: ReadonlySet<string>) => void;
}

export interface IngestStats {
  /** Rows inserted since start. */
  inserted: number;
  /** Dead-lettered since start. */
  deadLettered: number;
  /** 95th percentile of collector receipt → queryable over the last 1,000 events, in seconds. */
  freshnessP95Seconds: number | null;
}

export interface Ingester {
  stop(): Promise<void>;
  lag(): Promise<{ topic: string; partition: number; lag: number }[]>;
  stats(): IngestStats;
}

/**
 * The consumer group that moves events from the bus into the warehouse. A batch's rows are
 * inserted with a deduplication token made of its topic, partition and offset range, and offsets
 * are committed only after the insert succeeded: a crash or a retry re-inserts the same batch
 * with the same token, which adds nothing — exactly once in the warehouse.
 */
export async function createIngester(options: IngesterOptions): Promise<Ingester> {
  const { bus, warehouse, logger } = options;
  const tracer = trace.getTracer('pulse-ingester');
  const registers = options.metrics ? [options.metrics] : [];
  const steps = new Counter({
    name: 'pulse_ingest_step_total',
    help: 'Events through each ingest step by outcome',
    labelNames: ['step', 'outcome'],
    registers,
  });
  const inserted = new Counter({
    name: 'pulse_ingest_inserted_total',
    help: 'Rows inserted by table',
    labelNames: ['table'],
    registers,
  });
  const deadLettered = new Counter({
    name: 'pulse_ingest_dead_lettered_total',
    help: 'Events dead-lettered by reason',
    labelNames: ['reason'],
    registers,
  });
  const batchRows = new Histogram({
    name: 'pulse_ingest_batch_rows',
    help: 'Events per consumed batch',
    buckets: [1, 10, 100, 1000, 5000, 20000, 100000],
    registers,
  });
  const insertSeconds = new Histogram({
    name: 'pulse_ingest_insert_seconds',
    help: 'Warehouse insert latency per batch',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const freshness = new Histogram({
    name: 'pulse_ingest_freshness_seconds',
    help: 'Collector receipt to queryable, per event',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers,
  });
  const lagGauge = new Gauge({
    name: 'pulse_ingest_consumer_lag',
    help: 'Messages not yet ingested, per topic and partition',
    labelNames: ['topic', 'partition'],
    registers,
  });

  let insertedTotal = 0;
  let deadLetteredTotal = 0;
  const recentFreshness: number[] = [];

  await ensureIngestTopics(bus);

  // One span per batch, linked to the trace of every request whose events it carries (W3C
  // traceparent in the message headers): a trace leads from the HTTP request to the insert.
  async function handle(batch: MessageBatch): Promise<void> {
    // Events of one request share its traceparent: extract each distinct one once, at most 128.
    const links: { context: SpanContext }[] = [];
    const seen = new Set<string>();
    for (const m of batch.messages) {
      const parent = m.headers.traceparent;
      if (parent === undefined || seen.has(parent)) continue;
      seen.add(parent);
      const context = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, m.headers));
      if (context) links.push({ context });
      if (links.length === 128) break;
    }
    await tracer.startActiveSpan(
      'ingest batch',
      {
        links,
        attributes: {
          'messaging.destination.name': batch.topic,
          'messaging.destination.partition.id': String(batch.partition),
          'messaging.batch.message_count': batch.messages.length,
        },
      },
      async (span) => {
        try {
          await handleBatch(batch);
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  async function handleBatch(batch: MessageBatch): Promise<void> {
    batchRows.observe(batch.messages.length);
    const token = `${batch.topic}:${batch.partition}:${batch.messages[0]!.offset}-${batch.lastOffset}`;
    const { rows, deadLetters } = runPipeline(batch.messages, steps);
    const tables = new Map<TableName, Row[]>();
    for (const r of rows) {
      const list = tables.get(r.table);
      if (list) list.push(r.row);
      else tables.set(r.table, [r.row]);
    }
    const started = performance.now();
    try {
      for (const [table, list] of tables) {
        await insertRows(warehouse, table, list, { dedupToken: token });
        inserted.inc({ table }, list.length);
        insertedTotal += list.length;
      }
    } catch (err) {
      if (isPulseError(err) && !err.retriable) {
        // The warehouse refuses these rows and always will: dead-letter the batch, keep going.
        logger.error({ err, token }, 'warehouse refused a batch; dead-lettering it');
        await deadLetter(
          rows.map((r) => ({
            message: r.message,
            step: 'insert',
            reason: 'insert_rejected',
            detail: err.message,
          })),
          token,
        );
        return;
      }
      throw err; // retriable: the consumer offers the same batch again after a backoff
    }
    insertSeconds.observe((performance.now() - started) / 1000);
    if (options.onInserted && rows.length > 0) {
      const workspaces = new Set<string>();
      for (const r of rows) workspaces.add(r.event.workspaceId);
      try {
        options.onInserted(workspaces);
      } catch (err) {
        logger.warn({ err }, 'an insert listener failed');
      }
    }
    const now = Date.now();
    let lastHeader: string | undefined;
    let receivedAt = Number.NaN;
    for (const r of rows) {
      // Events of one request share its receipt time: parse each distinct header once.
      const header = r.message.headers['received-at'];
      if (header !== lastHeader) {
        lastHeader = header;
        receivedAt = Date.parse(header ?? '');
      }
      if (Number.isNaN(receivedAt)) continue;
      freshness.observe((now - receivedAt) / 1000);
      recentFreshness.push((now - receivedAt) / 1000);
    }
    if (recentFreshness.length > 1000) recentFreshness.splice(0, recentFreshness.length - 1000);
    if (deadLetters.length > 0) await deadLetter(deadLetters, token);
  }

  async function deadLetter(letters: DeadLetter[], token: string): Promise<void> {
    for (const l of letters) deadLettered.inc({ reason: l.reason });
    deadLetteredTotal += letters.length;
    await bus.produce(
      deadLetterTopic,
      letters.map((l) => ({
        key: l.message.key,
        value: l.message.value,
        headers: {
          ...l.message.headers,
          'dlq-reason': l.reason,
          'dlq-step': l.step,
          'dlq-detail': l.detail.slice(0, 1000),
          'dlq-source': `${l.message.topic}/${l.message.partition}/${l.message.offset}`,
        },
        timestamp: Date.now(),
      })),
    );
    await insertRows(
      warehouse,
      'ingest_errors',
      letters.map((l) => ({
        event_id: String(safeField(l.message.value, 'eventId')),
        workspace_id: l.message.key.split(':')[0] ?? '',
        family: l.message.topic.split('.').at(-1) ?? '',
        step: l.step,
        reason: l.reason,
        detail: l.detail,
        payload: l.message.value.toString('utf8').slice(0, 100_000),
        topic: l.message.topic,
        partition: l.message.partition,
        offset: String(l.message.offset),
      })),
      { dedupToken: `${token}:errors` },
    );
  }

  const consumer: BusConsumer = await bus.consume({
    groupId: options.groupId ?? 'pulse-ingester',
    topics: streamFamilies.map(topicFor),
    maxMessages: options.maxBatchEvents ?? 20_000,
    maxWaitMs: options.maxWaitMs ?? 200,
    // Through Kafka larger inserts pay; the embedded log holds waiting events on this process's
    // heap, where a long wait costs more garbage collection than larger inserts save (bench/README.md).
    lingerMs: options.lingerMs ?? (bus.kind === 'kafka' ? 1000 : 300),
    eachBatch: handle,
    onError: (err, batch) =>
      logger.warn({ err, topic: batch.topic, partition: batch.partition }, 'ingest batch failed; retrying'),
  });
  const lagTimer = setInterval(async () => {
    // While the bus is down the gauge keeps its last values; the consumer reports the outage.
    const lags = await consumer.lag().catch((err: unknown) => {
      logger.debug({ err }, 'consumer lag unavailable');
      return [];
    });
    for (const l of lags) lagGauge.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
  }, 5000);
  lagTimer.unref();

  return {
    lag: () => consumer.lag(),
    stats() {
      const sorted = [...recentFreshness].sort((a, b) => a - b);
      const p95 =
        sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
      return { inserted: insertedTotal, deadLettered: deadLetteredTotal, freshnessP95Seconds: p95 };
    },
    async stop() {
      clearInterval(lagTimer);
      await consumer.stop();
    },
  };
}

/**
 * The topics events travel on — one per stream family, and the dead letters — created when absent.
 * Every role that produces or consumes them calls it at start (idempotent), so a collector that
 * starts before the ingester does not refuse events.
 */
export function ensureIngestTopics(bus: Bus): Promise<void> {
  return bus.ensureTopics([
    ...streamFamilies.map((f) => ({ name: topicFor(f), partitions: 3 })),
    { name: deadLetterTopic, partitions: 1 },
  ]);
}

function safeField(value: Buffer, field: string): unknown {
  try {
    return (JSON.parse(value.toString('utf8')) as Record<string, unknown>)[field] ?? '';
  } catch {
    return '';
  }
}
