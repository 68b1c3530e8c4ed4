import { z } from 'zod';

/** Version of the event contract; bumped when a field changes meaning or becomes required. */
export const CONTRACT_VERSION = 1;

export const streamFamilies = ['product', 'social', 'crm'] as const;
export type StreamFamily = (typeof streamFamilies)[number];

/** Marks a field as personal data: masked in logs, removed by GDPR erasure. */
export const pii = { pii: true } as const;

const isoTimestamp = z.iso.datetime({ offset: true, local: false }).or(z.iso.datetime());

/**
 * Fields every event carries. `eventId` is stable across retries of the same event (it is the
 * deduplication key); the top level is a loose object so fields from newer senders are kept.
 */
export const envelopeShape = {
  eventId: z.string().min(1).max(200),
  workspaceId: z.string().min(1).max(100),
  schemaVersion: z.literal(CONTRACT_VERSION).default(CONTRACT_VERSION),
  timestamp: isoTimestamp,
  receivedAt: isoTimestamp.optional(),
};

/**
 * A free-form object (properties, traits, context): any keys, any JSON values, kept as sent. A loose
 * object with no known keys, not a record: the same JSON, at a third of the validation cost per event.
 */
export const bag = z.looseObject({});
