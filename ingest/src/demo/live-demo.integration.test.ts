import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig, type PulseEvent, parseEvent } from '@pulse/core';
import { createScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { expect, it } from 'vitest';
import { createEmbeddedBus, publishEvents } from '../bus/index.ts';
import { createIngester } from '../ingester/index.ts';
import { startDemo } from './load-demo.ts';

// The demo's live stream travels like any source's: bus → ingester → warehouse, so the overview's
// ingest rate, lag and freshness move on a fresh `npm start` (the history goes in directly).
it('streams live demo events through the bus and the ingester, not around them', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pulse-live-demo-'));
  const logger = createLogger({ level: 'silent', serviceName: 'test' });
  const scratch = await createScratchWarehouse({ database: 'live_demo' });
  const { warehouse } = scratch;
  const bus = await createEmbeddedBus({ dataPath: join(root, 'bus') });
  const ingester = await createIngester({ bus, warehouse, logger, maxWaitMs: 20, lingerMs: 0 });
  const published: PulseEvent[] = [];
  const demo = startDemo({
    warehouse,
    workspaceId: 'ws_live',
    config: { ...loadConfig({}).demo, days: 1, liveRatePerSecond: 40 },
    targetEvents: 500,
    logger,
    publishLive: async (events) => {
      published.push(...events);
      await publishEvents(bus, events);
    },
  });
  await demo.historyLoaded;
  // The history went straight into the warehouse, not through the ingester.
  expect(ingester.stats().inserted).toBe(0);
  // A few seconds of the live stream: every published event is valid and lands through the ingester.
  for (let waited = 0; published.length < 80 && waited < 10_000; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  await demo.stop();
  expect(published.length).toBeGreaterThanOrEqual(80);
  expect(published.filter((e) => !parseEvent(JSON.parse(JSON.stringify(e))).ok)).toEqual([]);
  for (let waited = 0; ingester.stats().inserted < published.length && waited < 10_000; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  expect(ingester.stats().inserted).toBe(published.length);
  expect(ingester.stats().freshnessP95Seconds).not.toBeNull();
  const productIds = published.filter((e) => e.family === 'product').map((e) => e.eventId);
  expect(productIds.length).toBeGreaterThan(0);
  const found = await (
    await warehouse.client.query({
      query:
        "SELECT count() AS n FROM product_events WHERE workspace_id = 'ws_live' AND event_id IN {ids:Array(String)}",
      query_params: { ids: productIds },
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>();
  expect(Number(found[0]!.n)).toBe(productIds.length);
  await ingester.stop();
  await bus.close();
  await scratch.cleanup();
  rmSync(root, { recursive: true, force: true });
}, 60_000);
