// Test fixture: one workspace where a data subject (Erin) and two other people (Kim, Lou) act on the
// same days and minutes, so an erasure that touched anyone else's rows or rollup buckets shows.
import type { PulseEvent } from '@pulse/core';

export const privacyWorkspace = 'ws_privacy';
export const otherWorkspace = 'ws_other';
export const erin = {
  userId: 'u_erin',
  email: 'erin@example.com',
  anonymousId: 'anon_erin',
  author: 'x_erin',
};

const day1 = '2026-03-02';
const day2 = '2026-03-03';
let seq = 0;
const id = () => `evt-${++seq}`;

function track(
  ws: string,
  at: string,
  who: { userId?: string; anonymousId?: string },
  session: string,
  event = 'Report Viewed',
): PulseEvent {
  return {
    family: 'product',
    type: 'track',
    eventId: id(),
    workspaceId: ws,
    schemaVersion: 1,
    timestamp: at,
    ...who,
    event,
    properties: { sessionId: session, feature: 'reports' },
  } as PulseEvent;
}

function contact(
  ws: string,
  at: string,
  entityId: string,
  type: 'contact_created' | 'contact_updated',
  attributes: Record<string, unknown>,
): PulseEvent {
  return {
    family: 'crm',
    type,
    eventId: id(),
    workspaceId: ws,
    schemaVersion: 1,
    timestamp: at,
    source: 'hubspot',
    entityId,
    attributes,
  } as PulseEvent;
}

function comment(ws: string, at: string, authorId: string, text: string): PulseEvent {
  return {
    family: 'social',
    type: 'comment_received',
    eventId: id(),
    workspaceId: ws,
    schemaVersion: 1,
    timestamp: at,
    platform: 'x',
    accountId: 'acc_1',
    postId: 'post_1',
    commentId: `c-${seq}`,
    text,
    author: { id: authorId, handle: `@${authorId}` },
  } as PulseEvent;
}

/** Erin browses anonymously, signs up (identify with her e-mail), and comes back the next day. */
export const erinEvents: PulseEvent[] = [
  track(
    privacyWorkspace,
    `${day1}T09:00:10.000Z`,
    { anonymousId: erin.anonymousId },
    's_erin_1',
    'Pricing Viewed',
  ),
  {
    family: 'product',
    type: 'identify',
    eventId: id(),
    workspaceId: privacyWorkspace,
    schemaVersion: 1,
    timestamp: `${day1}T09:01:00.000Z`,
    userId: erin.userId,
    anonymousId: erin.anonymousId,
    traits: { email: erin.email, name: 'Erin Example', plan: 'pro' },
  } as PulseEvent,
  track(privacyWorkspace, `${day1}T09:01:30.000Z`, { userId: erin.userId }, 's_erin_1'),
  track(privacyWorkspace, `${day2}T14:00:00.000Z`, { userId: erin.userId }, 's_erin_2'),
  contact(privacyWorkspace, `${day1}T10:00:00.000Z`, 'hs_erin', 'contact_created', {
    email: 'Erin@Example.com',
    name: 'Erin Example',
    status: 'lead',
  }),
  contact(privacyWorkspace, `${day2}T10:00:00.000Z`, 'hs_erin', 'contact_updated', { status: 'customer' }),
  comment(privacyWorkspace, `${day1}T11:00:00.000Z`, erin.author, 'love the new dashboards'),
];

/** Kim and Lou act in the same minutes and days as Erin; a second workspace has an "u_erin" too. */
export const otherEvents: PulseEvent[] = [
  track(privacyWorkspace, `${day1}T09:00:20.000Z`, { userId: 'u_kim' }, 's_kim_1', 'Pricing Viewed'),
  track(privacyWorkspace, `${day1}T09:01:40.000Z`, { userId: 'u_kim' }, 's_kim_1'),
  track(privacyWorkspace, `${day1}T09:01:50.000Z`, { userId: 'u_lou' }, 's_lou_1'),
  track(privacyWorkspace, `${day2}T14:00:30.000Z`, { userId: 'u_lou' }, 's_lou_2'),
  contact(privacyWorkspace, `${day1}T10:00:00.000Z`, 'hs_kim', 'contact_created', {
    email: 'kim@example.com',
    status: 'lead',
  }),
  contact(privacyWorkspace, `${day2}T10:00:00.000Z`, 'hs_kim', 'contact_updated', { status: 'customer' }),
  comment(privacyWorkspace, `${day1}T11:00:00.000Z`, 'x_kim', 'nice'),
  track(otherWorkspace, `${day1}T09:01:30.000Z`, { userId: erin.userId }, 's_other'),
];

export const privacyDays = [day1, day2];
