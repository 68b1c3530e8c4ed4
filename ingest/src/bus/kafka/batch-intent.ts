import type { Admin } from 'kafkajs';

/**
 * A batch intent: before a consumer hands the batch `first..last` of a partition to its handler, it
 * commits the group's offset `first` again with the metadata `pulse-intent:v1:<last>`. The commit
 * is durable in Kafka's `__consumer_offsets`, keyed by group, topic and partition, and the group
 * coordinator refuses it from a member whose generation is stale, so it needs no other store and
 * cannot race a rebalance.
 *
 * Whoever next owns the partition (the same process after a retry, another member after a
 * rebalance, a new process after a crash) reads the committed position first: an intent there
 * means "a handler may already have inserted first..last", so it hands out exactly that range
 * again, and the insert's deduplication token (topic:partition:first-last) is identical. The
 * commit of `last + 1` after the handler resolved clears the intent.
 */
export interface DurablePosition {
  /** The group's committed offset for the partition; undefined when it never committed. */
  committed: number | undefined;
  /** Last offset of the batch handed out from `committed` and not yet committed past. */
  intentLast: number | undefined;
}

const prefix = 'pulse-intent:v1:';

export function intentMetadata(last: number): string {
  return `${prefix}${last}`;
}

export function parseIntent(metadata: string | null | undefined): number | undefined {
  if (!metadata?.startsWith(prefix)) return undefined;
  const last = Number(metadata.slice(prefix.length));
  return Number.isSafeInteger(last) && last >= 0 ? last : undefined;
}

export async function readDurablePosition(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<DurablePosition> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const found = entry?.partitions.find((p) => p.partition === partition);
  const committed = Number(found?.offset ?? -1);
  if (!found || committed < 0) return { committed: undefined, intentLast: undefined };
  return { committed, intentLast: parseIntent(found.metadata) };
}

/**
 * Which messages of a fetched batch to hand out, given the durable position:
 * - `seek`: the fetch did not start at the committed offset (another member moved on, or this
 *   one's commit failed): fetch again from there.
 * - `wait`: an intent names a range longer than what was fetched: fetch again from the intent's
 *   first offset (a fetch from there returns at least what the first one did, whose batch this
 *   intent was cut from).
 * - `hand`: the messages to hand out, and whether they replay an intent.
 */
export type Cut<M> =
  | { kind: 'seek'; offset: number }
  | { kind: 'wait'; offset: number }
  | { kind: 'hand'; messages: M[]; replay: boolean };

export function cutBatch<M extends { offset: number }>(
  fetched: M[],
  position: DurablePosition,
  maxMessages: number,
): Cut<M> {
  const first = fetched[0]!.offset;
  const { committed, intentLast } = position;
  // committed < first: the committed offset fell out of retention; start from what Kafka has.
  if (committed !== undefined && committed > first) return { kind: 'seek', offset: committed };
  if (committed === first && intentLast !== undefined) {
    if (fetched.at(-1)!.offset < intentLast) return { kind: 'wait', offset: first };
    return { kind: 'hand', messages: fetched.filter((m) => m.offset <= intentLast), replay: true };
  }
  return { kind: 'hand', messages: fetched.slice(0, maxMessages), replay: false };
}
