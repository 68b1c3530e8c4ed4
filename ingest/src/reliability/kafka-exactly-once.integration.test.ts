import { createLogger } from '@pulse/core';
import { type LocalKafka, startKafka } from '@pulse/infra';
import type { Warehouse } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { afterEachInsert } from '@pulse/warehouse/testing/after-insert';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createKafkaBus, publishEvents } from '../bus/index.ts';
import { createIngester, type Ingester } from '../ingester/index.ts';
import { countLanded, stopMerges, trackEvents } from './track-events.fixture.ts';

// Exactly once in Kafka mode, on a real broker: two ingesters in one consumer group, a rebalance
// while events flow, then one member frozen right after its insert landed and before its commit
// (from the broker's view a killed process: no heartbeat, no commit, no leave). The group gives its
// partitions to the survivor, which must re-cut the very same batch from the durable intent, so
// the warehouse's deduplication token matches and nothing is inserted twice.
let kafka: LocalKafka;
let scratch: ScratchWarehouse;
const buses: Bus[] = [];
beforeAll(async () => {
  [kafka, scratch] = await Promise.all([startKafka(), createScratchWarehouse()]);
  await stopMerges(scratch.warehouse);
}, 120_000);
afterAll(async () => {
  for (const b of buses) await b.close();
  await kafka?.destroy();
  await scratch?.cleanup();
});

const silent = createLogger({ level: 'silent', serviceName: 'test' });
const newBus = (clientId: string, logger = silent) => {
  // 6 s: the broker's minimum session timeout, so the frozen member is evicted quickly.
  const bus = createKafkaBus({ brokers: kafka.brokers, clientId, logger, sessionTimeoutMs: 6000 });
  buses.push(bus);
  return bus;
};

/** A warehouse whose inserts freeze, once armed, right after the real insert succeeded. */
function freezingWarehouse(warehouse: Warehouse) {
  let armed = false;
  let frozenToken: string | undefined;
  let release: (err: Error) => void = () => {};
  const released = new Promise<never>((_, reject) => {
    release = reject;
  });
  released.catch(() => {});
  return {
    warehouse: afterEachInsert(warehouse, async ({ token }) => {
      if (armed && frozenToken === undefined) {
        frozenToken = String(token);
        await released; // the insert landed; the commit never comes
      }
    }),
    arm: () => {
      armed = true;
    },
    frozenToken: () => frozenToken,
    release: () => release(new Error('frozen member released at the end of the test')),
  };
}

describe('exactly once in Kafka mode (real broker)', () => {
  it('keeps every acknowledged event exactly once across a rebalance and a member frozen between insert and commit', async () => {
    const event = 'Exactly Once';
    const logLines: string[] = [];
    const survivorLogger = createLogger(
      { level: 'info', serviceName: 'survivor' },
      { write: (line: string) => void logLines.push(line) },
    );
    const producer = newBus('eo-producer');
    const frozen = freezingWarehouse(scratch.warehouse);
    const ingesters: Ingester[] = [];
    const ingesterOptions = { groupId: 'eo-group', maxBatchEvents: 100_000, maxWaitMs: 100 };
    ingesters.push(
      await createIngester({
        ...ingesterOptions,
        bus: newBus('eo-a'),
        warehouse: frozen.warehouse,
        logger: silent,
      }),
    );

    const acknowledged = new Set<string>();
    const ambiguous = new Set<string>();
    let sent = 0;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        const events = trackEvents('eo', sent, 100, event);
        sent += events.length;
        try {
          await publishEvents(producer, events);
          for (const e of events) acknowledged.add(e.eventId);
        } catch {
          for (const e of events) ambiguous.add(e.eventId);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // A second member joins while events flow: the group rebalances.
    await new Promise((r) => setTimeout(r, 2000));
    const survivor = await createIngester({
      ...ingesterOptions,
      bus: newBus('eo-b', survivorLogger),
      warehouse: scratch.warehouse,
      logger: survivorLogger,
    });
    ingesters.push(survivor);
    await expect.poll(() => survivor.stats().inserted, { timeout: 60_000 }).toBeGreaterThan(0);

    // The first member freezes after its next insert landed, before the commit.
    frozen.arm();
    await expect.poll(() => frozen.frozenToken(), { timeout: 60_000 }).toBeDefined();
    const [topic, partition, range] = frozen.frozenToken()!.split(':');
    const [first, last] = range!.split('-').map(Number);
    // The survivor gets the partition once the session times out, and replays the intent.
    const replayed = () =>
      logLines
        .map(
          (l) =>
            JSON.parse(l) as { msg: string; topic: string; partition: number; first: number; last: number },
        )
        .filter((l) => l.msg === 'replaying a batch intent');
    await expect
      .poll(() => replayed().some((l) => l.topic === topic && l.partition === Number(partition)), {
        timeout: 60_000,
      })
      .toBe(true);
    expect(replayed().find((l) => l.topic === topic && l.partition === Number(partition))).toMatchObject({
      first,
      last,
    });

    await new Promise((r) => setTimeout(r, 1000));
    sending = false;
    await sender;
    await expect
      .poll(async () => (await countLanded(scratch.warehouse, event)).distinct, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(acknowledged.size);
    await expect
      .poll(async () => (await survivor.lag()).every((l) => l.lag === 0), { timeout: 60_000 })
      .toBe(true);
    frozen.release();
    for (const i of ingesters) await i.stop();

    const landed = await countLanded(scratch.warehouse, event);
    console.info(
      `kafka exactly-once: ${acknowledged.size} acknowledged, ${landed.rows} rows, ${landed.distinct} distinct; frozen batch ${topic}/${partition} ${first}-${last} replayed`,
    );
    expect(acknowledged.size).toBeGreaterThan(1000);
    expect(landed.rows).toBe(landed.distinct); // count() = uniqExact(event_id)
    expect([...acknowledged].filter((id) => !landed.ids.has(id))).toEqual([]);
    expect([...landed.ids].filter((id) => !acknowledged.has(id) && !ambiguous.has(id))).toEqual([]);
  }, 240_000);
});
