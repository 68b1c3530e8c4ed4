import type { PulseEvent } from '@pulse/core';

/**
 * A small workspace whose every KPI can be worked out by hand (the arithmetic is in the
 * comments and in kpi-library.integration.test.ts). The query window is Monday 2026-11-02 and
 * Tuesday 2026-11-03 (UTC); events on 2026-11-01 and in October are history before it.
 */
// A uuid like every workspace id Pulse makes, so API tests can register it in the metadata store.
export const kpiWorkspace = '0c0ffee0-0000-4000-8000-00000000c0de';
export const kpiRange = { from: '2026-11-02', to: '2026-11-04' };

let n = 0;
const base = (timestamp: string) => ({
  eventId: `kpi-${++n}`,
  workspaceId: kpiWorkspace,
  schemaVersion: 1 as const,
  timestamp,
});

const snapshot = (
  at: string,
  platform: 'linkedin' | 'instagram',
  postId: string,
  m: [number, number, number, number, number, number, number, number],
): PulseEvent => ({
  ...base(at),
  family: 'social',
  type: 'post_metrics_snapshot',
  platform,
  accountId: platform === 'linkedin' ? 'acc_li' : 'acc_ig',
  postId,
  metrics: {
    impressions: m[0],
    reach: m[1],
    likes: m[2],
    comments: m[3],
    shares: m[4],
    saves: m[5],
    clicks: m[6],
    videoViews: m[7],
  },
});

const followers = (at: string, platform: 'linkedin' | 'instagram', count: number): PulseEvent => ({
  ...base(at),
  family: 'social',
  type: 'account_followers_snapshot',
  platform,
  accountId: platform === 'linkedin' ? 'acc_li' : 'acc_ig',
  followers: count,
});

const lead = (at: string, id: string, status: string, created: boolean, campaign?: string): PulseEvent => ({
  ...base(at),
  family: 'crm',
  type: created ? 'lead_created' : 'lead_updated',
  source: 'hubspot',
  entityId: id,
  attributes: { status, ...(campaign ? { sourceCampaignId: campaign } : {}) },
});

const stage = (
  at: string,
  deal: string,
  to: string,
  from: string | undefined,
  amount: number,
  closed?: 'won' | 'lost',
  campaign?: string,
): PulseEvent => ({
  ...base(at),
  family: 'crm',
  type: 'deal_stage_changed',
  source: 'hubspot',
  entityId: deal,
  stage: to,
  ...(from ? { previousStage: from } : {}),
  pipeline: 'sales',
  amount,
  currency: 'EUR',
  ownerId: 'own_1',
  ...(campaign ? { sourceCampaignId: campaign } : {}),
  isWon: closed === 'won',
  isClosed: closed !== undefined,
});

const track = (
  at: string,
  user: string,
  event: string,
  session: string,
  props: Record<string, unknown> = {},
): PulseEvent => ({
  ...base(at),
  family: 'product',
  type: 'track',
  userId: user,
  event,
  properties: { sessionId: session, ...props },
});

const page = (
  at: string,
  who: { userId: string } | { anonymousId: string },
  name: string,
  session: string,
): PulseEvent => ({
  ...base(at),
  family: 'product',
  type: 'page',
  ...who,
  name,
  properties: { sessionId: session },
});

const post = (at: string, platform: 'linkedin' | 'instagram', postId: string, text: string): PulseEvent => ({
  ...base(at),
  family: 'social',
  type: 'post_published',
  platform,
  accountId: platform === 'linkedin' ? 'acc_li' : 'acc_ig',
  postId,
  text,
  mediaType: 'video',
  publishedAt: at,
});

export const kpiEvents: PulseEvent[] = [
  // Posts: p1 before the window, p2 in it, p3 in it but deleted an hour later.
  post('2026-11-01T10:00:00Z', 'linkedin', 'p1', 'Launch day'),
  post('2026-11-02T09:00:00Z', 'instagram', 'p2', 'Hello, "world"'),
  post('2026-11-03T15:00:00Z', 'instagram', 'p3', 'Oops'),
  {
    ...base('2026-11-03T16:00:00Z'),
    family: 'social',
    type: 'post_deleted',
    platform: 'instagram',
    accountId: 'acc_ig',
    postId: 'p3',
  },
  // Lifetime totals [impressions, reach, likes, comments, shares, saves, clicks, video views].
  snapshot('2026-11-01T12:00:00Z', 'linkedin', 'p1', [100, 80, 10, 2, 1, 0, 5, 0]),
  snapshot('2026-11-02T12:00:00Z', 'linkedin', 'p1', [250, 200, 20, 4, 2, 1, 9, 0]),
  snapshot('2026-11-03T12:00:00Z', 'linkedin', 'p1', [300, 230, 22, 5, 2, 1, 10, 0]),
  snapshot('2026-11-02T18:00:00Z', 'instagram', 'p2', [1000, 700, 50, 10, 5, 5, 30, 400]),
  snapshot('2026-11-03T18:00:00Z', 'instagram', 'p2', [1500, 1000, 70, 12, 6, 7, 40, 600]),
  // Followers: linkedin 1000 → 1025, instagram 500 → 480.
  followers('2026-11-01T08:00:00Z', 'linkedin', 1000),
  followers('2026-11-02T08:00:00Z', 'linkedin', 1010),
  followers('2026-11-03T08:00:00Z', 'linkedin', 1025),
  followers('2026-11-01T23:00:00Z', 'instagram', 500),
  followers('2026-11-03T08:00:00Z', 'instagram', 480),
  // Leads: L0 before the window; L1 (from a LinkedIn campaign) → mql → sql; L2, L3 stay new.
  lead('2026-11-01T09:00:00Z', 'L0', 'new', true),
  lead('2026-11-02T09:00:00Z', 'L0', 'mql', false),
  lead('2026-11-02T10:00:00Z', 'L1', 'new', true, 'cmp_linkedin_202611'),
  lead('2026-11-02T15:00:00Z', 'L1', 'mql', false),
  lead('2026-11-03T11:00:00Z', 'L1', 'sql', false),
  lead('2026-11-02T11:00:00Z', 'L2', 'new', true),
  lead('2026-11-03T12:00:00Z', 'L3', 'new', true),
  // Deals (EUR): D1 won in the window after 13 days; D2 lost; D3 opened in it; D4 open since October.
  stage('2026-10-20T12:00:00Z', 'D1', 'qualification', undefined, 1000, undefined, 'cmp_linkedin_202611'),
  stage('2026-10-25T12:00:00Z', 'D1', 'proposal', 'qualification', 1000, undefined, 'cmp_linkedin_202611'),
  stage('2026-11-02T12:00:00Z', 'D1', 'won', 'proposal', 1000, 'won', 'cmp_linkedin_202611'),
  stage('2026-10-30T12:00:00Z', 'D2', 'qualification', undefined, 2000),
  stage('2026-11-03T12:00:00Z', 'D2', 'lost', 'qualification', 2000, 'lost'),
  stage('2026-11-02T13:00:00Z', 'D3', 'qualification', undefined, 5000),
  stage('2026-10-01T12:00:00Z', 'D4', 'qualification', undefined, 700),
  // Product: u1 signs up and uses a feature, u2 runs two automations, a1 is anonymous; u0 is before.
  track('2026-11-01T10:00:00Z', 'u0', 'Feature Used', 's0', { feature: 'alerts' }),
  track('2026-11-02T10:00:00Z', 'u1', 'Signed Up', 's1'),
  track('2026-11-02T10:05:00Z', 'u1', 'Feature Used', 's1', { feature: 'dashboards' }),
  page('2026-11-03T09:00:00Z', { userId: 'u1' }, 'Overview', 's2'),
  page('2026-11-02T11:00:00Z', { userId: 'u2' }, 'Overview', 's3'),
  track('2026-11-02T11:10:00Z', 'u2', 'Automation Run', 's3', {
    automation: 'CRM sync',
    timeSavedSeconds: 900,
  }),
  track('2026-11-03T14:00:00Z', 'u2', 'Automation Run', 's4', {
    automation: 'Lead enrichment',
    timeSavedSeconds: 240,
  }),
  page('2026-11-03T16:00:00Z', { anonymousId: 'a1' }, 'Pricing', 's5'),
];
