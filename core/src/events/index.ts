export { CONTRACT_VERSION, streamFamilies, type StreamFamily } from './common.ts';
export { productEvent, productEventTypes, type ProductEvent } from './product.ts';
export { socialEvent, socialEventTypes, socialPlatforms, type SocialEvent } from './social.ts';
export { crmEvent, crmEventTypes, crmSources, type CrmEvent } from './crm.ts';
export {
  derivedEventId,
  entityKeyOf,
  eventSchema,
  familySchemas,
  parseEvent,
  type EventIssue,
  type ParseOutcome,
  type PulseEvent,
} from './event.ts';
export { fromSegment } from './segment.ts';
export { examples } from './examples.ts';
export { renderJsonSchemas } from './json-schema.ts';
