import { createLogger, loadConfig } from '@pulse/core';
import { type LocalKafka, startKafka } from '@pulse/infra';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus } from '../bus/index.ts';
import { registerCollector } from '../collector/index.ts';
import { createIngester } from '../ingester/index.ts';
import { countLanded, stopMerges } from './track-events.fixture.ts';

// The Kafka broker stops and comes back while a load generator posts batches to the collector,
// wired as start-pulse wires it in Kafka mode (loadConfig → createBus → ingester + collector).
// While the broker is down the collector must answer 503 with Retry-After and acknowledge nothing
// it could not make durable; afterwards every acknowledged event is in the warehouse exactly once.
let kafka: LocalKafka;
let scratch: ScratchWarehouse;
beforeAll(async () => {
  [kafka, scratch] = await Promise.all([startKafka(), createScratchWarehouse()]);
  await stopMerges(scratch.warehouse);
}, 120_000);
afterAll(async () => {
  await kafka?.destroy();
  await scratch?.cleanup();
});

interface Answer {
  status: number;
  retryAfter: string | null;
  startedAt: number;
  endedAt: number;
}

describe('Kafka broker restart under load', () => {
  it('answers 503 with Retry-After while the broker is down and keeps every acknowledged event exactly once', async () => {
    const event = 'Broker Restart';
    const config = loadConfig({
      KAFKA_BROKERS: kafka.brokers.join(','),
      PULSE_COLLECTOR_RATE_LIMIT: '1000000',
    });
    const logger = createLogger({ level: 'silent', serviceName: 'test' });
    const bus = await createBus(config.bus, logger);
    const ingester = await createIngester({ bus, warehouse: scratch.warehouse, logger, maxWaitMs: 100 });
    const app = Fastify();
    registerCollector(app, {
      bus,
      config: config.collector,
      logger,
      resolveWriteKey: async (key) =>
        key === 'wk_restart' ? { workspaceId: 'ws_r', sourceId: 'src_r' } : undefined,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/batch`;

    const acknowledged = new Set<string>();
    const refused = new Set<string>();
    const answers: Answer[] = [];
    let sent = 0;
    let sending = true;
    const sender = async () => {
      while (sending) {
        const ids = Array.from({ length: 50 }, () => `restart-${sent++}`);
        const startedAt = Date.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Basic ${Buffer.from('wk_restart:').toString('base64')}`,
          },
          body: JSON.stringify({
            batch: ids.map((messageId, i) => ({ type: 'track', messageId, userId: `u${i % 13}`, event })),
          }),
        });
        await res.arrayBuffer();
        answers.push({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          startedAt,
          endedAt: Date.now(),
        });
        for (const id of ids) (res.status === 200 ? acknowledged : refused).add(id);
        if (res.status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
    };
    const senders = Promise.all(Array.from({ length: 4 }, sender));

    await expect.poll(() => acknowledged.size, { timeout: 60_000 }).toBeGreaterThan(2000);
    await kafka.stop();
    const downSince = Date.now();
    await expect
      .poll(() => answers.filter((a) => a.startedAt >= downSince && a.status === 503).length, {
        timeout: 60_000,
      })
      .toBeGreaterThanOrEqual(3);
    const downUntil = Date.now();
    await kafka.restart();
    const upAgain = acknowledged.size;
    await expect.poll(() => acknowledged.size, { timeout: 90_000 }).toBeGreaterThan(upAgain + 2000);
    sending = false;
    await senders;

    const whileDown = answers.filter((a) => a.startedAt >= downSince && a.endedAt <= downUntil);
    expect(whileDown.length).toBeGreaterThan(0);
    // Nothing the bus could not take is acknowledged, and every refusal says when to come back.
    expect(whileDown.filter((a) => a.status === 200)).toEqual([]);
    expect(whileDown.every((a) => a.status === 503 && Number(a.retryAfter) > 0)).toBe(true);

    await expect
      .poll(async () => (await countLanded(scratch.warehouse, event)).distinct, { timeout: 90_000 })
      .toBeGreaterThanOrEqual(acknowledged.size);
    await expect
      .poll(async () => (await ingester.lag()).every((l) => l.lag === 0), { timeout: 60_000 })
      .toBe(true);
    await app.close();
    await ingester.stop();
    await bus.close();

    const landed = await countLanded(scratch.warehouse, event);
    console.info(
      `broker restart: ${acknowledged.size} acknowledged, ${refused.size} refused (${whileDown.length} answers while down, all 503), ${landed.rows} rows, ${landed.distinct} distinct`,
    );
    expect(landed.rows).toBe(landed.distinct); // count() = uniqExact(event_id)
    expect([...acknowledged].filter((id) => !landed.ids.has(id))).toEqual([]); // nothing lost
    // A refused request may still have reached the log (the broker died after taking it): allowed,
    // it was never acknowledged. Anything else in the warehouse would be invented.
    expect([...landed.ids].filter((id) => !acknowledged.has(id) && !refused.has(id))).toEqual([]);
  }, 300_000);
});
