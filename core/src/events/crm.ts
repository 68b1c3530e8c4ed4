import { z } from 'zod';
import { bag, envelopeShape, pii } from './common.ts';

export const crmSources = ['salesforce', 'hubspot', 'pipedrive'] as const;
export const crmEntities = ['contact', 'lead', 'company', 'deal'] as const;
const actions = ['created', 'updated', 'deleted'] as const;

const crmShape = {
  ...envelopeShape,
  family: z.literal('crm'),
  source: z.enum(crmSources),
  entityId: z.string().min(1).max(200),
  properties: bag.optional(),
};
/** Fields of the entity as the CRM sends them; known ones typed, the rest kept. */
const attributes = z.looseObject({
  email: z.string().max(320).meta(pii).optional(),
  name: z.string().max(500).meta(pii).optional(),
  phone: z.string().max(64).meta(pii).optional(),
  companyId: z.string().max(200).optional(),
  status: z.string().max(64).optional(),
  sourceCampaignId: z.string().max(200).optional(),
  ownerId: z.string().max(200).optional(),
  amount: z.number().nonnegative().optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR')
    .optional(),
  stage: z.string().max(100).optional(),
  pipeline: z.string().max(100).optional(),
});

const entityEvents = crmEntities.flatMap((entity) =>
  actions.map((action) =>
    z.looseObject({
      ...crmShape,
      type: z.literal(`${entity}_${action}` as const),
      entity: z.literal(entity).optional(),
      attributes: attributes.optional(),
    }),
  ),
);

export const dealStageChanged = z.looseObject({
  ...crmShape,
  type: z.literal('deal_stage_changed'),
  stage: z.string().min(1).max(100),
  previousStage: z.string().max(100).optional(),
  pipeline: z.string().max(100).default('default'),
  amount: z.number().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR'),
  ownerId: z.string().max(200).optional(),
  sourceCampaignId: z.string().max(200).optional(),
  isWon: z.boolean().optional(),
  isClosed: z.boolean().optional(),
});

export const crmEventTypes = [
  ...crmEntities.flatMap((e) => actions.map((a) => `${e}_${a}` as const)),
  'deal_stage_changed',
] as const;
export const crmEvent = z.discriminatedUnion('type', [
  ...(entityEvents as [(typeof entityEvents)[number], ...(typeof entityEvents)[number][]]),
  dealStageChanged,
]);
export type CrmEvent = z.infer<typeof crmEvent>;
