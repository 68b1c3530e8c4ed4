import type { PulseEvent } from '@pulse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvents } from '../rows/insert-rows.ts';
import { createScratchWarehouse, type ScratchWarehouse } from '../testing/scratch-warehouse.ts';
import { applyRetention } from './apply-retention.ts';

let scratch: ScratchWarehouse;
const ws = 'ws_retention';
const now = new Date('2026-03-20T12:00:00Z');
// 30 days before `now` is 2026-02-18: January ended before it, February did not.
const stamps = {
  old: '2026-01-10T08:00:00.000Z',
  boundary: '2026-02-10T08:00:00.000Z',
  recent: '2026-03-10T08:00:00.000Z',
};

const events: PulseEvent[] = Object.entries(stamps).flatMap(([age, timestamp]) => [
  {
    family: 'product',
    type: 'track',
    eventId: `p-${age}`,
    workspaceId: ws,
    schemaVersion: 1,
    timestamp,
    userId: 'u1',
    event: 'Opened',
  },
  {
    family: 'crm',
    type: 'contact_created',
    eventId: `c-${age}`,
    workspaceId: ws,
    schemaVersion: 1,
    timestamp,
    source: 'hubspot',
    entityId: `hs-${age}`,
    attributes: { status: 'lead' },
  },
  {
    family: 'social',
    type: 'comment_received',
    eventId: `s-${age}`,
    workspaceId: ws,
    schemaVersion: 1,
    timestamp,
    platform: 'x',
    accountId: 'a1',
    postId: 'p1',
    commentId: `k-${age}`,
    text: 'hi',
    author: { id: 'x1' },
  },
]) as PulseEvent[];

const months = async (table: string) =>
  (
    await (
      await scratch.warehouse.client.query({
        query: `SELECT DISTINCT toString(toYYYYMM(timestamp)) AS m FROM ${table} ORDER BY m`,
        format: 'JSONEachRow',
      })
    ).json<{ m: string }>()
  ).map((r) => r.m);

beforeAll(async () => {
  scratch = await createScratchWarehouse();
  await insertEvents(scratch.warehouse, events, { dedupToken: 'retention-fixture' });
});
afterAll(async () => {
  await scratch?.cleanup();
});

describe('retention per stream family', () => {
  it('drops whole months older than the retention and keeps recent ones and other families', async () => {
    expect(await months('product_events')).toEqual(['202601', '202602', '202603']);
    const result = await applyRetention(scratch.warehouse, { product: 30, social: 0, crm: 30 }, { now });
    expect(result.dropped).toEqual([
      { family: 'product', table: 'product_events', partition: '202601' },
      { family: 'crm', table: 'crm_entity_events', partition: '202601' },
    ]);
    expect(await months('product_events')).toEqual(['202602', '202603']);
    expect(await months('crm_entity_events')).toEqual(['202602', '202603']);
    // Retention 0 keeps social events forever.
    expect(await months('social_comments')).toEqual(['202601', '202602', '202603']);
    // Rollups keep the KPI history of dropped months.
    const [day] = await (
      await scratch.warehouse.client.query({
        query: "SELECT toString(sum(events)) AS n FROM product_activity_day WHERE bucket < '2026-02-01'",
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    expect(day!.n).toBe('1');
  });

  it('is a no-op when run again', async () => {
    expect(
      (await applyRetention(scratch.warehouse, { product: 30, social: 0, crm: 30 }, { now })).dropped,
    ).toEqual([]);
  });
});
