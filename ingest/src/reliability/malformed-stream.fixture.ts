// Test and benchmark fixture: a product event stream as a third-party producer might write it
// straight onto the bus, where every hundredth message is malformed (the collector never lets such
// events through, but Kafka topics have other writers). Alternates the two ways a message fails:
// bytes that are not JSON, and JSON that breaks the event contract.
import { entityKeyOf } from '@pulse/core';
import type { BusMessage } from '../bus/index.ts';
import { trackEvents } from './track-events.fixture.ts';

export interface MalformedStream {
  messages: BusMessage[];
  /** Payload text of each malformed message → the dead-letter reason the ingester must give. */
  malformed: Map<string, 'invalid_json' | 'contract_violation'>;
  validCount: number;
}

export function malformedStream(prefix: string, total: number, event: string, every = 100): MalformedStream {
  const events = trackEvents(prefix, 0, total, event);
  const malformed = new Map<string, 'invalid_json' | 'contract_violation'>();
  const headers = { 'schema-version': '1', 'content-type': 'application/json' };
  const messages = events.map((e, i): BusMessage => {
    let text = JSON.stringify(e);
    if (i % every === every - 1) {
      const broken = (i / every) % 2 < 1;
      text = broken
        ? text.slice(0, Math.floor(text.length / 2)) // cut off mid-object: not JSON
        : JSON.stringify({ ...e, eventId: `${e.eventId}-bad`, timestamp: 'yesterday-ish' });
      malformed.set(text, broken ? 'invalid_json' : 'contract_violation');
    }
    return { key: entityKeyOf(e), value: Buffer.from(text), headers, timestamp: Date.now() };
  });
  return { messages, malformed, validCount: total - malformed.size };
}
