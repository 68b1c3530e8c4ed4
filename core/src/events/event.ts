import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type StreamFamily, streamFamilies } from './common.ts';
import { crmEvent, type CrmEvent } from './crm.ts';
import { productEvent, type ProductEvent } from './product.ts';
import { socialEvent, type SocialEvent } from './social.ts';

export type PulseEvent = ProductEvent | SocialEvent | CrmEvent;
export interface EventIssue {
  path: string;
  message: string;
}
export type ParseOutcome = { ok: true; event: PulseEvent } | { ok: false; issues: EventIssue[] };

export const familySchemas = { product: productEvent, social: socialEvent, crm: crmEvent } as const;
export const eventSchema = z.union([productEvent, socialEvent, crmEvent]);

/**
 * Validates one event against the contract. The outcome is a value: the collector answers with
 * the issues, the ingester dead-letters them. Unknown fields are kept, never stripped.
 */
export function parseEvent(input: unknown): ParseOutcome {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path: '', message: 'expected a JSON object' }] };
  }
  const family = (input as { family?: unknown }).family;
  if (!streamFamilies.includes(family as StreamFamily)) {
    return {
      ok: false,
      issues: [{ path: 'family', message: `expected one of ${streamFamilies.join(', ')}` }],
    };
  }
  const result = familySchemas[family as StreamFamily].safeParse(input);
  if (result.success) return { ok: true, event: result.data as PulseEvent };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  };
}

/**
 * The bus message key: workspace + the entity whose events must stay in order (a post, an
 * account, a CRM record, a user).
 */
export function entityKeyOf(event: PulseEvent): string {
  const e = event as Record<string, unknown>;
  const entity =
    event.family === 'product'
      ? (e.userId ?? e.anonymousId ?? e.previousId)
      : event.family === 'social'
        ? (e.postId ?? e.accountId)
        : e.entityId;
  return `${event.workspaceId}:${String(entity ?? event.eventId)}`;
}

/** A deterministic id for senders that send none: the same payload always gets the same id. */
export function derivedEventId(payload: unknown): string {
  return createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 32);
}
