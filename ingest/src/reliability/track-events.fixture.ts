// Test fixture for the reliability tests: contract-valid product events with known ids, and the
// warehouse's view of them (rows and distinct ids), so a test can compare with what it acknowledged.
import { fromSegment, type PulseEvent } from '@pulse/core';
import type { Warehouse } from '@pulse/warehouse';

/** `count` track events named `event`, with event ids `${prefix}-${from}` and up. */
export function trackEvents(prefix: string, from: number, count: number, event: string): PulseEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const outcome = fromSegment(
      { type: 'track', messageId: `${prefix}-${from + i}`, userId: `u${(from + i) % 17}`, event },
      'ws_reliability',
    );
    if (!outcome.ok) throw new Error(`fixture event is invalid: ${JSON.stringify(outcome.issues)}`);
    return outcome.event;
  });
}

/** Rows and distinct event ids of product events named `event`: count() and uniqExact(event_id). */
export async function countLanded(
  warehouse: Warehouse,
  event: string,
): Promise<{ rows: number; distinct: number; ids: Set<string> }> {
  const result = await warehouse.client.query({
    query: 'SELECT event_id FROM product_events WHERE event = {event:String}',
    query_params: { event },
    format: 'JSONEachRow',
  });
  const ids = (await result.json<{ event_id: string }>()).map((r) => r.event_id);
  return { rows: ids.length, distinct: new Set(ids).size, ids: new Set(ids) };
}

/**
 * product_events is a ReplacingMergeTree on event_id: a background merge collapses duplicates, which
 * would hide a duplicated insert from count(). Tests of the insert path stop merges first, so
 * count() = uniqExact(event_id) checks deduplication at insert, not the safety net behind it.
 */
export async function stopMerges(warehouse: Warehouse): Promise<void> {
  await warehouse.client.command({ query: 'SYSTEM STOP MERGES product_events' });
}
