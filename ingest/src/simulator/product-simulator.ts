import type { PulseEvent } from '@pulse/core';
import { type EventFactory, iso } from './event-factory.ts';
import type { Random } from './prng.ts';
import { DAY, dayFactor, timeInDay } from './rhythms.ts';

interface SimUser {
  userId: string;
  anonymousId: string;
  signupDay: number;
  stickiness: number;
  halfLife: number;
  mobile: boolean;
  plan: string;
  company: string;
}

const features = [
  'dashboards',
  'explore',
  'sql-editor',
  'alerts',
  'scheduled-reports',
  'forecasts',
  'connectors',
] as const;
const featureWeights = [0.35, 0.2, 0.08, 0.1, 0.12, 0.07, 0.08];
const automations = [
  { name: 'Weekly executive report', seconds: 2700 },
  { name: 'Lead enrichment', seconds: 240 },
  { name: 'Post scheduling', seconds: 420 },
  { name: 'CRM sync', seconds: 900 },
] as const;
const pages = [
  'Overview',
  'Social performance',
  'Sales pipeline',
  'Product usage',
  'Explore',
  'Settings',
] as const;

/**
 * Product users of a B2B app: sign-ups every day, each user with a stickiness and a retention
 * half-life, so cohorts decay; sessions of page views and feature events, some recording
 * automations and the time they saved.
 */
export function createProductSimulator(random: Random, factory: EventFactory, scale: number) {
  const users: SimUser[] = [];
  let userCount = 0;

  const base = (user: SimUser, ms: number) => ({
    family: 'product' as const,
    eventId: factory.id('msg'),
    workspaceId: factory.workspaceId,
    schemaVersion: 1 as const,
    timestamp: iso(ms),
    userId: user.userId,
    context: {
      demo: true,
      library: { name: 'pulse-simulator', version: '1' },
      ...(user.mobile ? { device: { type: 'ios' } } : {}),
    },
  });

  function newUser(day: number): SimUser {
    const n = userCount++;
    const user: SimUser = {
      userId: `user_${n}`,
      anonymousId: `anon_${n}`,
      signupDay: day,
      stickiness: random.chance(0.25) ? 0.85 : 0.35 + random.next() * 0.3,
      halfLife: random.lognormal(Math.log(12), 0.8),
      mobile: random.chance(0.3),
      plan: random.weighted(['free', 'team', 'business'], [0.6, 0.3, 0.1]),
      company: `company_${random.int(1, Math.max(20, Math.round(200 * scale)))}`,
    };
    users.push(user);
    return user;
  }

  // Customers from before the window: the product did not launch on the first simulated day, so
  // daily volume is steady from the start (and the size estimate holds for any window).
  for (let i = Math.round(700 * scale); i > 0; i--) newUser(-random.int(1, 365));

  function signUp(day: number, ms: number): PulseEvent[] {
    const user = newUser(day);
    return [
      {
        family: 'product',
        type: 'alias',
        eventId: factory.id('msg'),
        workspaceId: factory.workspaceId,
        schemaVersion: 1,
        timestamp: iso(ms),
        userId: user.userId,
        previousId: user.anonymousId,
        context: { demo: true },
      },
      {
        ...base(user, ms),
        type: 'identify',
        traits: { email: `${user.userId}@example.com`, plan: user.plan, createdAt: iso(ms) },
      },
      { ...base(user, ms), type: 'group', groupId: user.company, traits: { plan: user.plan } },
      {
        ...base(user, ms),
        type: 'track',
        event: 'Signed Up',
        properties: { plan: user.plan, ...factory.demo },
      },
      ...session(user, ms),
    ];
  }

  function session(user: SimUser, start: number): PulseEvent[] {
    const sessionId = factory.id('sess');
    const events: PulseEvent[] = [];
    let ms = start;
    const views = random.int(1, 5);
    for (let i = 0; i < views; i++) {
      const name = random.pick(pages);
      events.push(
        user.mobile
          ? { ...base(user, ms), type: 'screen', name, properties: { sessionId, ...factory.demo } }
          : {
              ...base(user, ms),
              type: 'page',
              name,
              category: 'App',
              properties: { sessionId, path: `/${name.toLowerCase().replaceAll(' ', '-')}`, ...factory.demo },
            },
      );
      ms += random.int(5_000, 180_000);
      if (random.chance(0.55)) {
        events.push({
          ...base(user, ms),
          type: 'track',
          event: 'Feature Used',
          properties: { sessionId, feature: random.weighted(features, featureWeights), ...factory.demo },
        });
      }
    }
    if (random.chance(0.12))
      events.push({
        ...base(user, ms),
        type: 'track',
        event: 'Report Exported',
        properties: { sessionId, format: random.pick(['pdf', 'xlsx', 'csv']), ...factory.demo },
      });
    if (random.chance(0.2)) {
      const a = random.pick(automations);
      events.push({
        ...base(user, ms),
        type: 'track',
        event: 'Automation Run',
        properties: { sessionId, automation: a.name, timeSavedSeconds: a.seconds, ...factory.demo },
      });
    }
    return events;
  }

  /** Probability that a user is active on a day: stickiness decaying with age toward a floor. */
  const activity = (user: SimUser, day: number) =>
    user.stickiness * (0.2 + 0.8 * 0.5 ** ((day - user.signupDay) / user.halfLife));

  return {
    day(day: number, dayStart: number): PulseEvent[] {
      const events: PulseEvent[] = [];
      const weekday = dayFactor(dayStart, 'business');
      const signups = random.poisson(22 * scale * weekday);
      for (let i = 0; i < signups; i++) events.push(...signUp(day, timeInDay(random, dayStart)));
      for (const user of users) {
        if (user.signupDay === day || !random.chance(activity(user, day) * weekday)) continue;
        const sessions = random.chance(0.3) ? 2 : 1;
        for (let s = 0; s < sessions; s++) events.push(...session(user, timeInDay(random, dayStart)));
      }
      return events;
    },
    live(now: number): PulseEvent[] {
      if (users.length === 0 || random.chance(0.03))
        return signUp(Math.floor(now / DAY), now).map((e) => ({ ...e, timestamp: iso(now) }));
      const user = users[users.length - 1 - Math.floor(random.next() ** 2 * users.length)]!;
      // A live slice of a session: its first events, all happening now.
      return session(user, now)
        .slice(0, random.int(1, 3))
        .map((e) => ({ ...e, timestamp: iso(now) }));
    },
  };
}
