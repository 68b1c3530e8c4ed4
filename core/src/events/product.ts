import { z } from 'zod';
import { bag, envelopeShape, pii } from './common.ts';

/**
 * Product events follow the Segment spec's six calls so existing SDKs work unchanged:
 * https://segment.com/docs/connections/spec/ — `messageId` is the event id.
 */
const productShape = {
  ...envelopeShape,
  family: z.literal('product'),
  userId: z.string().min(1).max(200).meta(pii).optional(),
  anonymousId: z.string().min(1).max(200).optional(),
  context: bag.optional(),
};

const identified = <T extends z.ZodRawShape>(shape: T) =>
  z
    .looseObject(shape)
    .refine(
      (e) => Boolean((e as { userId?: string }).userId || (e as { anonymousId?: string }).anonymousId),
      {
        message: 'userId or anonymousId is required',
        path: ['userId'],
      },
    );

export const trackEvent = identified({
  ...productShape,
  type: z.literal('track'),
  event: z.string().min(1).max(200),
  properties: bag.optional(),
});
export const identifyEvent = identified({
  ...productShape,
  type: z.literal('identify'),
  traits: bag.meta(pii).optional(),
});
export const pageEvent = identified({
  ...productShape,
  type: z.literal('page'),
  name: z.string().max(500).optional(),
  category: z.string().max(200).optional(),
  properties: bag.optional(),
});
export const screenEvent = identified({
  ...productShape,
  type: z.literal('screen'),
  name: z.string().max(500).optional(),
  category: z.string().max(200).optional(),
  properties: bag.optional(),
});
export const groupEvent = identified({
  ...productShape,
  type: z.literal('group'),
  groupId: z.string().min(1).max(200),
  traits: bag.optional(),
});
export const aliasEvent = z.looseObject({
  ...productShape,
  type: z.literal('alias'),
  userId: z.string().min(1).max(200).meta(pii),
  previousId: z.string().min(1).max(200),
});

export const productEventTypes = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export const productEvent = z.discriminatedUnion('type', [
  trackEvent,
  identifyEvent,
  pageEvent,
  screenEvent,
  groupEvent,
  aliasEvent,
]);
export type ProductEvent = z.infer<typeof productEvent>;
