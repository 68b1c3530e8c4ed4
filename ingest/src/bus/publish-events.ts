import { context, propagation } from '@opentelemetry/api';
import { CONTRACT_VERSION, entityKeyOf, type PulseEvent, type StreamFamily } from '@pulse/core';
import { type Bus, topicFor } from './bus.ts';

/**
 * Header naming the contract version a producer already validated an event against. The ingester
 * skips its own validation for such events (saves ~6 µs of zod per event, see bench/README.md);
 * events without it — other producers, older versions — are validated in full. The topics are
 * internal: whoever can produce to them is trusted infrastructure either way.
 */
export const validatedHeader = 'validated-contract';
export const validatedMark = `v${CONTRACT_VERSION}`;

/**
 * Puts contract events on the bus the way every source does: one topic per stream family, keyed
 * by workspace + entity (ordering per entity), with the schema version, the receipt time and the
 * active W3C trace context in the headers (each header costs encoding and decoding per message,
 * so there are no more than these). Resolves when the bus has them durably; returns how many went
 * to each family. `validated`: the caller ran them through `parseEvent` (the collector).
 */
export async function publishEvents(
  bus: Bus,
  events: PulseEvent[],
  receivedAt: Date = new Date(),
  options: { validated?: boolean } = {},
): Promise<Map<StreamFamily, number>> {
  const headers: Record<string, string> = {
    'schema-version': String(CONTRACT_VERSION),
    'received-at': receivedAt.toISOString(),
    ...(options.validated ? { [validatedHeader]: validatedMark } : {}),
  };
  propagation.inject(context.active(), headers);
  // One headers object serves every message of the call (and, in process, every consumer of
  // them): frozen, so a consumer that tried to change it would fail loudly instead of silently.
  Object.freeze(headers);
  const byFamily = new Map<StreamFamily, PulseEvent[]>();
  for (const e of events) {
    const list = byFamily.get(e.family);
    if (list) list.push(e);
    else byFamily.set(e.family, [e]);
  }
  await Promise.all(
    [...byFamily].map(([family, list]) =>
      bus.produce(
        topicFor(family),
        list.map((e) => ({
          key: entityKeyOf(e),
          value: Buffer.from(JSON.stringify(e)),
          payload: e,
          headers,
          timestamp: receivedAt.getTime(),
        })),
      ),
    ),
  );
  return new Map([...byFamily].map(([family, list]) => [family, list.length]));
}
