import type { StreamFamily } from '@pulse/core';

/** One message as producers hand it to the bus. */
export interface BusMessage {
  /** Ordering key: workspace + entity id. Messages with one key stay in order on one partition. */
  key: string;
  value: Buffer;
  /** Schema version, W3C trace context (`traceparent`), dead-letter reasons. */
  headers: Record<string, string>;
  timestamp: number;
  /**
   * The value already decoded (`JSON.parse(value)`), when the producer runs in the consumer's
   * process: the embedded log hands it to consumers reading what was just written, so they skip
   * decoding it again. Never on disk or the wire; whoever sets it promises it equals the value
   * and that nobody changes it afterwards.
   */
  payload?: unknown;
}

export interface ConsumedMessage extends BusMessage {
  topic: string;
  partition: number;
  offset: number;
}

export interface MessageBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  /** Offset of the last message: committed (plus one) once the handler resolves. */
  lastOffset: number;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Most messages per batch handed to the handler. */
  maxMessages?: number;
  /** Most bytes per batch. */
  maxBytes?: number;
  /** How long to wait for a batch to fill before handing over what there is. */
  maxWaitMs?: number;
  /**
   * Hold a partial batch back this long after its first message became readable, so the handler
   * gets fewer, larger batches (one warehouse part each). 0 hands over what there is at once.
   */
  lingerMs?: number;
  /** Partitions handled at the same time (Kafka; default 3). Order within a partition holds. */
  concurrency?: number;
  /**
   * Called per batch. The batch's offsets are committed only after it resolves; when it throws,
   * the same batch is offered again after a backoff (at-least-once; the ingester's deduplication
   * tokens make the insert exactly-once).
   */
  eachBatch(batch: MessageBatch): Promise<void>;
  onError?(err: unknown, batch: MessageBatch): void;
}

export interface BusConsumer {
  /** Messages produced but not yet committed by this group, per topic and partition. */
  lag(): Promise<{ topic: string; partition: number; lag: number }[]>;
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: 'embedded' | 'kafka';
  ensureTopics(topics: { name: string; partitions: number }[]): Promise<void>;
  /** Resolves only when the messages are durable; throws a retriable BUS_UNAVAILABLE otherwise. */
  produce(topic: string, messages: BusMessage[]): Promise<void>;
  consume(options: ConsumerOptions): Promise<BusConsumer>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const topicPrefix = 'pulse.events.';
export const deadLetterTopic = 'pulse.events.dlq';

export function topicFor(family: StreamFamily): string {
  return `${topicPrefix}${family}`;
}
