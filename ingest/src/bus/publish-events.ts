import { context, propagation } from '@opentelemetry/api';
import { entityKeyOf, type PulseEvent, type StreamFamily } from '@pulse/core';
import { type Bus, topicFor } from './bus.ts';

/**
 * Puts contract events on the bus the way every source does: one topic per stream family, keyed
 * by workspace + entity (ordering per entity), with the schema version, the receipt time and the
 * active W3C trace context in the headers. Resolves when the bus has them durably; returns how
 * many went to each family.
 */
export async function publishEvents(
  bus: Bus,
  events: PulseEvent[],
  receivedAt: Date = new Date(),
): Promise<Map<StreamFamily, number>> {
  const headers: Record<string, string> = {
    'schema-version': '1',
    'received-at': receivedAt.toISOString(),
    'content-type': 'application/json',
  };
  propagation.inject(context.active(), headers);
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
          headers,
          timestamp: receivedAt.getTime(),
        })),
      ),
    ),
  );
  return new Map([...byFamily].map(([family, list]) => [family, list.length]));
}
