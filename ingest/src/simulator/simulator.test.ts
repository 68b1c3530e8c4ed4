import { createHash } from 'node:crypto';
import { type PulseEvent, parseEvent } from '@pulse/core';
import { describe, expect, it } from 'vitest';
import { createSimulator } from './index.ts';

const end = new Date('2026-11-24T00:00:00Z');
const history = (seed: number, days = 28) =>
  [...createSimulator({ seed, workspaceId: 'ws_demo', days, end }).historyBatches(10_000)].flat();
const digest = (events: PulseEvent[]) => createHash('sha256').update(JSON.stringify(events)).digest('hex');

describe('demo simulator', () => {
  const events = history(42);

  it('is deterministic: the same seed gives the same events, another seed others', () => {
    expect(digest(history(42))).toBe(digest(events));
    expect(digest(history(43))).not.toBe(digest(events));
  });

  it('produces only events that satisfy the contract, with unique ids, inside the window', () => {
    const invalid = events.map((e) => parseEvent(e)).filter((o) => !o.ok);
    expect(invalid).toEqual([]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    const start = end.getTime() - 28 * 86_400_000;
    expect(
      events.every((e) => Date.parse(e.timestamp) >= start && Date.parse(e.timestamp) < end.getTime()),
    ).toBe(true);
  });

  it('covers every stream family and most event types', () => {
    const types = new Set(events.map((e) => e.type));
    for (const t of [
      'track',
      'identify',
      'page',
      'screen',
      'group',
      'alias',
      'post_published',
      'post_metrics_snapshot',
      'comment_received',
      'account_followers_snapshot',
      'lead_created',
      'lead_updated',
      'deal_created',
      'deal_stage_changed',
    ]) {
      expect(types).toContain(t);
    }
  });

  it('has a weekly rhythm: LinkedIn posts more on weekdays than at weekends', () => {
    // 84 days: 24 weekend days and 60 weekdays.
    const linkedin = history(42, 84).filter((e) => e.type === 'post_published' && e.platform === 'linkedin');
    const isWeekend = (e: PulseEvent) => [0, 6].includes(new Date(e.timestamp).getUTCDay());
    const perWeekendDay = linkedin.filter(isWeekend).length / 24;
    const perWeekday = linkedin.filter((e) => !isWeekend(e)).length / 60;
    expect(perWeekday).toBeGreaterThan(perWeekendDay * 1.5);
  });

  it('has a long tail of viral posts', () => {
    const finalImpressions = new Map<string, number>();
    for (const e of events)
      if (e.type === 'post_metrics_snapshot')
        finalImpressions.set(e.postId, Math.max(finalImpressions.get(e.postId) ?? 0, e.metrics.impressions));
    const sorted = [...finalImpressions.values()].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    expect(sorted.at(-1)!).toBeGreaterThan(median * 10);
  });

  it('moves deals through stages in order and closes some as won', () => {
    const order = ['qualification', 'proposal', 'negotiation', 'won'];
    const byDeal = new Map<string, string[]>();
    for (const e of events)
      if (e.type === 'deal_stage_changed')
        byDeal.set(e.entityId, [...(byDeal.get(e.entityId) ?? []), e.stage]);
    for (const stages of byDeal.values()) {
      const open = stages.filter((s) => s !== 'lost');
      expect(open).toEqual(order.slice(0, open.length));
    }
    expect([...byDeal.values()].some((s) => s.includes('won'))).toBe(true);
    expect([...byDeal.values()].some((s) => s.includes('lost'))).toBe(true);
  });

  it('lets cohorts decay: users are less active in their fourth week than in their first', () => {
    const all = history(7, 60);
    const signup = new Map<string, number>();
    for (const e of all)
      if (e.type === 'track' && e.event === 'Signed Up') signup.set(e.userId!, Date.parse(e.timestamp));
    const activeIn = (week: number) => {
      const users = new Set<string>();
      for (const e of all) {
        if (e.family !== 'product' || e.type === 'alias' || !e.userId || !signup.has(e.userId)) continue;
        const age = (Date.parse(e.timestamp) - signup.get(e.userId)!) / 86_400_000;
        if (age >= week * 7 && age < week * 7 + 7 && signup.get(e.userId)! < end.getTime() - 35 * 86_400_000)
          users.add(e.userId);
      }
      return users.size;
    };
    expect(activeIn(3)).toBeLessThan(activeIn(0) * 0.8);
  });

  it('scales to a requested size and continues live', () => {
    const sim = createSimulator({ seed: 1, workspaceId: 'ws', days: 10, targetEvents: 60_000, end });
    const n = [...sim.historyBatches(20_000)].reduce((sum, b) => sum + b.length, 0);
    expect(n).toBeGreaterThan(40_000);
    expect(n).toBeLessThan(90_000);
    const live = sim.liveEvents(new Date('2026-11-24T10:00:00Z'), 50);
    expect(live).toHaveLength(50);
    expect(live.every((e) => e.timestamp === '2026-11-24T10:00:00.000Z' && parseEvent(e).ok)).toBe(true);
  });
});
