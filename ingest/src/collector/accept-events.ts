import { fromSegment, type ParseOutcome, parseEvent, type PulseEvent } from '@pulse/core';

export interface Rejection {
  index: number;
  reason: string;
}
export interface Accepted {
  events: PulseEvent[];
  rejected: Rejection[];
}

/**
 * Validates each event of a request on its own: the valid ones are accepted, each invalid one is
 * answered with its index and reason. The workspace always comes from the write key — a key can
 * only write into its own workspace, whatever the body says. `items` are the request's own parsed
 * objects: a native event gets its envelope (workspace, receipt time) set in place.
 */
export function acceptEvents(
  items: unknown[],
  workspaceId: string,
  format: 'segment' | 'native',
  receivedAt: Date,
): Accepted {
  const events: PulseEvent[] = [];
  const rejected: Rejection[] = [];
  const receivedAtText = receivedAt.toISOString();
  items.forEach((item, index) => {
    let outcome: ParseOutcome;
    if (format === 'segment') outcome = fromSegment(item, workspaceId, receivedAt);
    else if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      // The items are the request's own freshly parsed objects: set the envelope in place (the
      // validated event is a new object either way).
      const fields = item as Record<string, unknown>;
      fields.workspaceId = workspaceId;
      fields.receivedAt = receivedAtText;
      outcome = parseEvent(fields);
    } else outcome = { ok: false, issues: [{ path: '', message: 'expected a JSON object' }] };
    if (outcome.ok) events.push(outcome.event);
    else
      rejected.push({
        index,
        reason: outcome.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '),
      });
  });
  return { events, rejected };
}
