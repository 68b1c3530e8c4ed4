import type { PulseEvent } from '@pulse/core';
import { type EventFactory, iso, type Schedule } from './event-factory.ts';
import type { Random } from './prng.ts';
import { DAY, dayFactor, timeInDay } from './rhythms.ts';

type Source = 'salesforce' | 'hubspot' | 'pipedrive';
const currencies = ['EUR', 'USD', 'GBP'] as const;
const platformsForCampaigns = ['linkedin', 'x', 'facebook', 'instagram', 'youtube', 'tiktok'] as const;
/** Deal stages in order, with the chance of moving on from each and the days it takes. */
const stages = [
  { stage: 'qualification', advance: 0.7, days: [2, 8] },
  { stage: 'proposal', advance: 0.65, days: [3, 12] },
  { stage: 'negotiation', advance: 0.6, days: [4, 15] },
] as const;

/**
 * Leads arrive on business days, about 40% attributed to a social campaign; a share becomes MQL,
 * then SQL, then a deal that moves through stages to won or lost over days to weeks.
 */
export function createCrmSimulator(random: Random, factory: EventFactory, scale: number) {
  const source: Source = 'hubspot';
  let companyCount = 0;

  const base = (entityId: string, ms: number) => ({
    family: 'crm' as const,
    eventId: factory.id('crm'),
    workspaceId: factory.workspaceId,
    schemaVersion: 1 as const,
    timestamp: iso(ms),
    source,
    entityId,
    properties: factory.demo,
  });
  const later = (ms: number, [min, max]: readonly [number, number]) =>
    ms + (min + random.next() * (max - min)) * DAY;

  function lead(schedule: Schedule, ms: number): PulseEvent[] {
    const leadId = factory.id('lead');
    const contactId = factory.id('contact');
    const campaign = random.chance(0.4)
      ? `cmp_${random.pick(platformsForCampaigns)}_${iso(ms).slice(0, 7).replace('-', '')}`
      : undefined;
    const person = `${random.pick(firstNames)} ${random.pick(lastNames)}`;
    const email = `${person.toLowerCase().replace(' ', '.')}${random.int(1, 99)}@${random.pick(domains)}`;
    const events: PulseEvent[] = [
      { ...base(contactId, ms), type: 'contact_created', attributes: { email, name: person } },
      {
        ...base(leadId, ms),
        type: 'lead_created',
        attributes: {
          status: 'new',
          email,
          name: person,
          ...(campaign ? { sourceCampaignId: campaign } : {}),
        },
      },
    ];
    if (random.chance(0.04))
      events.push({
        ...base(`company_${companyCount++}`, ms),
        type: 'company_created',
        attributes: { name: random.pick(companies) },
      });
    // Social leads convert a little better: they already know the product.
    const boost = campaign ? 1.15 : 1;
    if (!random.chance(0.45 * boost)) return events;
    const mqlAt = later(ms, [1, 7]);
    schedule({ ...base(leadId, mqlAt), type: 'lead_updated', attributes: { status: 'mql' } }, mqlAt);
    if (!random.chance(0.42 * boost)) return events;
    const sqlAt = later(mqlAt, [2, 10]);
    schedule({ ...base(leadId, sqlAt), type: 'lead_updated', attributes: { status: 'sql' } }, sqlAt);
    deal(schedule, sqlAt, campaign);
    return events;
  }

  function deal(schedule: Schedule, ms: number, campaign: string | undefined): void {
    const dealId = factory.id('deal');
    const amount = Math.round(random.lognormal(Math.log(9000), 0.7) / 50) * 50;
    const currency = random.weighted(currencies, [0.5, 0.4, 0.1]);
    const ownerId = `owner_${random.int(1, 8)}`;
    const change = (
      at: number,
      stage: string,
      previousStage: string | undefined,
      closed?: 'won' | 'lost',
    ): PulseEvent => ({
      ...base(dealId, at),
      type: 'deal_stage_changed',
      stage,
      ...(previousStage ? { previousStage } : {}),
      pipeline: 'sales',
      amount,
      currency,
      ownerId,
      ...(campaign ? { sourceCampaignId: campaign } : {}),
      isWon: closed === 'won',
      isClosed: closed !== undefined,
    });
    schedule(
      {
        ...base(dealId, ms),
        type: 'deal_created',
        attributes: {
          amount,
          currency,
          stage: 'qualification',
          pipeline: 'sales',
          ownerId,
          ...(campaign ? { sourceCampaignId: campaign } : {}),
        },
      },
      ms,
    );
    schedule(change(ms, 'qualification', undefined), ms);
    let at = ms;
    let previous = 'qualification';
    for (const [i, s] of stages.entries()) {
      at = later(at, s.days);
      if (!random.chance(s.advance)) {
        schedule(change(at, 'lost', previous, 'lost'), at);
        return;
      }
      const next = stages[i + 1]?.stage ?? 'won';
      schedule(change(at, next, previous, next === 'won' ? 'won' : undefined), at);
      previous = next;
    }
  }

  return {
    day(schedule: Schedule, dayStart: number): PulseEvent[] {
      const events: PulseEvent[] = [];
      const leads = random.poisson(30 * scale * dayFactor(dayStart, 'business'));
      for (let i = 0; i < leads; i++) events.push(...lead(schedule, timeInDay(random, dayStart)));
      return events;
    },
    /** A live lead (its later stages are not scheduled: live mode has no future). */
    live(now: number): PulseEvent[] {
      return lead(() => {}, now);
    },
  };
}

const firstNames = [
  'Ada',
  'Grace',
  'Linus',
  'Mia',
  'Jonas',
  'Lucía',
  'Chloé',
  'Hannah',
  'Rafael',
  'Aisha',
  'Kenji',
  'Olga',
  'Priya',
  'Tom',
  'Sara',
  'Mateo',
];
const lastNames = [
  'Lovelace',
  'Hopper',
  'Schmidt',
  'García',
  'Dubois',
  'Rossi',
  'Silva',
  'Kowalski',
  'Nakamura',
  'Patel',
  'Okafor',
  'Novak',
  'Jensen',
  'Moreau',
];
const domains = ['example.com', 'example.org', 'acme.test', 'globex.test', 'initech.test', 'umbrella.test'];
const companies = [
  'Acme GmbH',
  'Globex Corp',
  'Initech',
  'Umbrella SA',
  'Stark Industries',
  'Wayne Enterprises',
  'Hooli',
  'Vandelay Imports',
];
