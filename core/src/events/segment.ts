import { derivedEventId, type ParseOutcome, parseEvent } from './event.ts';
import { productEventTypes } from './product.ts';

/** Top-level Segment fields that map onto the contract; everything else is kept in `extra`. */
const known = new Set([
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'previousId',
  'groupId',
  'event',
  'name',
  'category',
  'properties',
  'traits',
  'context',
  'timestamp',
  'sentAt',
  'receivedAt',
  'originalTimestamp',
  'integrations',
  'writeKey',
]);

/**
 * Normalises one Segment-spec message (as analytics.js, analytics-node or RudderStack send it)
 * into a Pulse product event and validates it. `timestamp` falls back to `originalTimestamp`,
 * then `sentAt`, then the receipt time; a missing messageId gets a deterministic one.
 */
export function fromSegment(
  payload: unknown,
  workspaceId: string,
  receivedAt: Date = new Date(),
): ParseOutcome {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, issues: [{ path: '', message: 'expected a JSON object' }] };
  }
  const p = payload as Record<string, unknown>;
  if (!productEventTypes.includes(p.type as (typeof productEventTypes)[number])) {
    return {
      ok: false,
      issues: [{ path: 'type', message: `expected one of ${productEventTypes.join(', ')}` }],
    };
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!known.has(k)) extra[k] = v;
  const event: Record<string, unknown> = {
    family: 'product',
    type: p.type,
    eventId: typeof p.messageId === 'string' && p.messageId ? p.messageId : derivedEventId(p),
    workspaceId,
    timestamp: p.timestamp ?? p.originalTimestamp ?? p.sentAt ?? receivedAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
  };
  for (const k of [
    'userId',
    'anonymousId',
    'previousId',
    'groupId',
    'event',
    'name',
    'category',
    'properties',
    'traits',
    'context',
  ]) {
    if (p[k] !== undefined && p[k] !== null) event[k] = typeof p[k] === 'number' ? String(p[k]) : p[k];
  }
  if (Object.keys(extra).length > 0) event.extra = extra;
  return parseEvent(event);
}
