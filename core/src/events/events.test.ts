import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  crmEventTypes,
  entityKeyOf,
  examples,
  fromSegment,
  parseEvent,
  productEventTypes,
  renderJsonSchemas,
  socialEventTypes,
} from './index.ts';

describe('event contract', () => {
  it('has a valid example for every event type', () => {
    const types = new Set(examples.map((e) => e.type));
    for (const t of [
      ...productEventTypes,
      ...socialEventTypes,
      'deal_stage_changed',
      'lead_created',
      'deal_created',
    ])
      expect(types).toContain(t);
    for (const e of examples) expect(parseEvent(e)).toMatchObject({ ok: true });
    expect(crmEventTypes).toHaveLength(13);
  });

  it('names the path of each problem', () => {
    const bad = { ...examples[9], metrics: { impressions: -1, likes: 'many' } };
    const outcome = parseEvent(bad);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok)
      expect(outcome.issues.map((i) => i.path)).toEqual(
        expect.arrayContaining(['metrics.impressions', 'metrics.likes']),
      );
    expect(parseEvent({ family: 'email' })).toEqual({
      ok: false,
      issues: [{ path: 'family', message: 'expected one of product, social, crm' }],
    });
    expect(parseEvent('text')).toMatchObject({ ok: false });
    const anonymous = parseEvent({ ...examples[0], userId: undefined });
    expect(anonymous).toMatchObject({
      ok: false,
      issues: [{ path: 'userId', message: 'userId or anonymousId is required' }],
    });
    expect(parseEvent({ ...examples[17], currency: 'euro' })).toMatchObject({
      ok: false,
      issues: [{ path: 'currency' }],
    });
  });

  it('keeps unknown fields at every level', () => {
    const outcome = parseEvent({
      ...examples[0],
      sdkBuild: 77,
      properties: { format: 'pdf', nested: { deep: [1, 2] } },
    });
    expect(outcome.ok).toBe(true);
    if (outcome.ok)
      expect(outcome.event).toMatchObject({ sdkBuild: 77, properties: { nested: { deep: [1, 2] } } });
  });

  it('keys bus messages by workspace and entity', () => {
    expect(entityKeyOf(examples[9]!)).toBe('ws_demo:p_3');
    expect(entityKeyOf(examples[11]!)).toBe('ws_demo:acc_tt');
    expect(entityKeyOf(examples[17]!)).toBe('ws_demo:dl_1');
    expect(entityKeyOf(examples[2]!)).toBe('ws_demo:a_9');
  });

  it('maps Segment spec messages onto product events', () => {
    const segment = {
      type: 'track',
      event: 'Order Completed',
      userId: 'user-1',
      messageId: 'ajs-1',
      originalTimestamp: '2026-11-01T10:00:00.000Z',
      properties: { revenue: 42 },
      context: { ip: '10.0.0.1', library: { name: 'analytics.js' } },
      integrations: { All: true },
      _metadata: { bundled: [] },
    };
    const outcome = fromSegment(segment, 'ws_1', new Date('2026-11-01T10:00:01Z'));
    expect(outcome).toMatchObject({
      ok: true,
      event: {
        family: 'product',
        eventId: 'ajs-1',
        workspaceId: 'ws_1',
        timestamp: '2026-11-01T10:00:00.000Z',
        event: 'Order Completed',
        extra: { _metadata: { bundled: [] } },
      },
    });
    const noId = fromSegment({ type: 'identify', anonymousId: 'a1', traits: { plan: 'free' } }, 'ws_1');
    const again = fromSegment({ type: 'identify', anonymousId: 'a1', traits: { plan: 'free' } }, 'ws_1');
    expect(noId.ok && again.ok && noId.event.eventId === again.event.eventId).toBe(true);
    expect(fromSegment({ type: 'flush', userId: 'x' }, 'ws_1').ok).toBe(false);
  });

  it('committed JSON Schema files are up to date (run `npm run schemas` when this fails)', () => {
    for (const [name, text] of Object.entries(renderJsonSchemas())) {
      expect(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')).toBe(text);
    }
  });
});
