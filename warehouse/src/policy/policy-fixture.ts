// Test fixture: a small workspace with several platforms, pipelines, owners and countries, so a
// row policy visibly removes rows. Every total below is worked out by hand in the comments.
import type { PulseEvent } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import type { MetricCatalog } from '../metrics/compile-query.ts';
import { type MetricDefinition, metricDefinitionSchema } from '../metrics/definition.ts';

export const policyWorkspace = 'ws_policy';
/** Monday 2026-11-02 and Tuesday 2026-11-03, UTC. */
export const policyRange = { from: '2026-11-02', to: '2026-11-04' };

let n = 0;
const base = (timestamp: string) => ({
  eventId: `pol-${++n}`,
  workspaceId: policyWorkspace,
  schemaVersion: 1 as const,
  timestamp,
});

type Platform = 'linkedin' | 'instagram' | 'tiktok';
const snapshot = (at: string, platform: Platform, postId: string, impressions: number): PulseEvent => ({
  ...base(at),
  family: 'social',
  type: 'post_metrics_snapshot',
  platform,
  accountId: `acc_${platform}`,
  postId,
  metrics: { impressions, reach: 0, likes: 0, comments: 0, shares: 0, saves: 0, clicks: 0, videoViews: 0 },
});
const followers = (at: string, platform: Platform, count: number): PulseEvent => ({
  ...base(at),
  family: 'social',
  type: 'account_followers_snapshot',
  platform,
  accountId: `acc_${platform}`,
  followers: count,
});
const deal = (
  at: string,
  id: string,
  pipeline: string,
  owner: string,
  amount: number,
  won: boolean,
): PulseEvent => ({
  ...base(at),
  family: 'crm',
  type: 'deal_stage_changed',
  source: 'hubspot',
  entityId: id,
  stage: won ? 'won' : 'qualification',
  pipeline,
  amount,
  currency: 'EUR',
  ownerId: owner,
  isWon: won,
  isClosed: won,
});
const track = (at: string, user: string, event: string, country: string): PulseEvent => ({
  ...base(at),
  family: 'product',
  type: 'track',
  userId: user,
  event,
  context: { location: { country } },
  properties: { sessionId: `s_${user}` },
});

export const policyEvents: PulseEvent[] = [
  // Impressions in the window (deltas of lifetime totals): linkedin 250-100 + 300-250 = 200,
  // instagram 1000 + 500 = 1500, tiktok 40 → 1740 in all.
  snapshot('2026-11-01T12:00:00Z', 'linkedin', 'p1', 100),
  snapshot('2026-11-02T12:00:00Z', 'linkedin', 'p1', 250),
  snapshot('2026-11-03T12:00:00Z', 'linkedin', 'p1', 300),
  snapshot('2026-11-02T18:00:00Z', 'instagram', 'p2', 1000),
  snapshot('2026-11-03T18:00:00Z', 'instagram', 'p2', 1500),
  snapshot('2026-11-02T10:00:00Z', 'tiktok', 'p3', 40),
  // Followers at the end: linkedin 1025, instagram 480, tiktok 70 → 1575.
  followers('2026-11-01T08:00:00Z', 'linkedin', 1000),
  followers('2026-11-03T08:00:00Z', 'linkedin', 1025),
  followers('2026-11-02T08:00:00Z', 'instagram', 480),
  followers('2026-11-02T09:00:00Z', 'tiktok', 70),
  // Deals: won 1000 (enterprise, own_a) and 300 (smb, own_b); D3 (smb, own_a) is open.
  deal('2026-11-02T12:00:00Z', 'D1', 'enterprise', 'own_a', 1000, true),
  deal('2026-11-03T12:00:00Z', 'D2', 'smb', 'own_b', 300, true),
  deal('2026-11-02T13:00:00Z', 'D3', 'smb', 'own_a', 50, false),
  // Product: u1 and u3 in DE, u2 in FR, u4 in US. Signed Up → Feature Used: 3 → 2 in all, 2 → 1 in DE.
  track('2026-11-02T10:00:00Z', 'u1', 'Signed Up', 'DE'),
  track('2026-11-02T10:05:00Z', 'u1', 'Feature Used', 'DE'),
  track('2026-11-02T11:00:00Z', 'u2', 'Signed Up', 'FR'),
  track('2026-11-03T09:00:00Z', 'u2', 'Feature Used', 'FR'),
  track('2026-11-03T12:00:00Z', 'u3', 'Signed Up', 'DE'),
  track('2026-11-02T15:00:00Z', 'u4', 'Page Viewed', 'US'),
];

/** The catalog's definitions of the metrics these tests query (as in models/metrics/*.yaml). */
const definitions: unknown[] = [
  {
    name: 'impressions',
    type: 'sum',
    source: 'post_activity',
    expression: 'impressions',
    grains: ['hour', 'day', 'week', 'month', 'quarter'],
  },
  {
    name: 'followers',
    type: 'sum',
    source: 'followers',
    expression: 'followers',
    snapshot: 'level',
    grains: ['day', 'week', 'month', 'quarter'],
  },
  {
    name: 'won_revenue',
    type: 'sum',
    source: 'deal_stage_changes',
    expression: 'amount',
    filters: [{ dimension: 'is_won', op: 'eq', value: 1 }],
  },
  { name: 'deal_changes', type: 'count', source: 'deal_stage_changes' },
  { name: 'product_events', type: 'count', source: 'product_events' },
  { name: 'active_users', type: 'count_distinct', source: 'product_events', expression: 'actor_id' },
  { name: 'revenue_per_change', type: 'ratio', numerator: 'won_revenue', denominator: 'deal_changes' },
].map((d) => ({
  label: (d as { name: string }).name,
  description: 'a metric the policy tests query',
  owner: 'tests',
  version: 1,
  category: 'social',
  ...d,
}));

export const policyCatalog: MetricCatalog = new Map(
  definitions.map((d) => {
    const m: MetricDefinition = metricDefinitionSchema.parse(d);
    return [m.name, m];
  }),
);

/** A policy value as resolveDataPolicy returns it, for a role and row filters. */
export const policyFor = (
  role: string,
  rowFilters: DataPolicy['rowFilters'] = [],
  extra: Partial<DataPolicy> = {},
): DataPolicy => ({
  workspaceId: policyWorkspace,
  role,
  unrestricted: role === 'admin',
  clearance:
    ({ viewer: 'internal', analyst: 'confidential', editor: 'confidential', admin: 'restricted' } as const)[
      role as 'viewer'
    ] ?? 'internal',
  rowFilters,
  dimensionClassifications: {},
  metricClassifications: {},
  ...extra,
});
