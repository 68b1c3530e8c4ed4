import type { PulseEvent } from '@pulse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../create-warehouse.ts';
import { policyCatalog, policyEvents, policyRange, policyWorkspace } from '../policy/policy-fixture.ts';
import { insertEvents } from '../rows/insert-rows.ts';
import { createScratchWarehouse, type ScratchWarehouse } from '../testing/scratch-warehouse.ts';
import { createMetricResultCache } from './result-cache.ts';
import { runMetricQuery } from './run-metric-query.ts';

let scratch: ScratchWarehouse;
let warehouse: Warehouse;
const now = new Date('2026-11-20T00:00:00Z');

beforeAll(async () => {
  scratch = await createScratchWarehouse();
  warehouse = scratch.warehouse;
  await insertEvents(warehouse, policyEvents, { dedupToken: 'cache-fixture' });
}, 60_000);
afterAll(async () => {
  await scratch.cleanup();
});

const laterSnapshot: PulseEvent = {
  eventId: 'cache-late-1',
  workspaceId: policyWorkspace,
  schemaVersion: 1,
  timestamp: '2026-11-03T20:00:00Z',
  family: 'social',
  type: 'post_metrics_snapshot',
  platform: 'linkedin',
  accountId: 'acc_linkedin',
  postId: 'cache_post',
  metrics: {
    impressions: 60,
    reach: 0,
    likes: 0,
    comments: 0,
    shares: 0,
    saves: 0,
    clicks: 0,
    videoViews: 0,
  },
};

describe('metric result cache on the engine', () => {
  it('answers repeated tiles from the cache and sees an insert at once', async () => {
    const cache = createMetricResultCache();
    const tile = () =>
      runMetricQuery(
        warehouse,
        policyCatalog,
        { metrics: ['impressions', 'product_events'], timeRange: policyRange, compare: 'previous_period' },
        policyWorkspace,
        { now, cache },
      );
    const uncached = await runMetricQuery(
      warehouse,
      policyCatalog,
      { metrics: ['impressions', 'product_events'], timeRange: policyRange, compare: 'previous_period' },
      policyWorkspace,
      { now, cache: false },
    );
    const first = await tile();
    const second = await tile();
    expect(first.rows).toEqual(uncached.rows);
    expect(second.rows).toEqual(first.rows);
    expect(cache.stats).toEqual({ hits: 2, misses: 2 }); // current and previous period, each once

    await insertEvents(warehouse, [laterSnapshot], { dedupToken: 'cache-late' });
    const after = await tile();
    expect(after.rows[0]?.impressions).toBe((first.rows[0]?.impressions as number) + 60);
    expect(after.rows[0]?.product_events).toBe(first.rows[0]?.product_events);
  });
});
