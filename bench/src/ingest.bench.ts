// End to end through the embedded log: HTTP batches of 100 events → collector → embedded durable
// log (fsync per acknowledgement) → ingester → queryable in the warehouse, next to a direct
// batched insert of the same events into the warehouse (the baseline), in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, loadConfig, type PulseEvent } from '@pulse/core';
import { createEmbeddedBus, createIngester, createSimulator, registerCollector } from '@pulse/ingest';
import { createWarehouse, insertEvents, migrate } from '@pulse/warehouse';
import Fastify from 'fastify';

export async function run(options: { events?: number }): Promise<void> {
  const total = options.events ?? 200_000;
  const root = mkdtempSync(join(tmpdir(), 'pulse-bench-ingest-'));
  const logger = createLogger({ level: 'warn', serviceName: 'bench' });
  const events: PulseEvent[] = [];
  for (const batch of createSimulator({
    seed: 3,
    workspaceId: 'ws_bench',
    days: 30,
    targetEvents: total,
    end: new Date('2026-11-24T00:00:00Z'),
  }).historyBatches(50_000)) {
    events.push(...batch);
    if (events.length >= total) break;
  }
  events.length = Math.min(events.length, total);
  const warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'bench',
    cluster: undefined,
    dataPath: join(root, 'wh'),
  });
  await migrate(warehouse);
  const count = async (ws: string) =>
    Number(
      (
        await (
          await warehouse.client.query({
            query: 'SELECT count() AS n FROM product_events WHERE workspace_id = {ws:String}',
            query_params: { ws },
            format: 'JSONEachRow',
          })
        ).json<{ n: string }>()
      )[0]!.n,
    );

  // Baseline: the same product events, inserted directly in batches of 50k.
  const product = events
    .filter((e) => e.family === 'product')
    .map((e) => ({ ...e, workspaceId: 'ws_direct' }));
  let started = performance.now();
  for (let i = 0; i < product.length; i += 50_000)
    await insertEvents(warehouse, product.slice(i, i + 50_000));
  const directRate = product.length / ((performance.now() - started) / 1000);

  // End to end over HTTP on loopback.
  const bus = await createEmbeddedBus({ dataPath: join(root, 'bus') });
  const ingester = await createIngester({ bus, warehouse, logger });
  const app = Fastify();
  registerCollector(app, {
    bus,
    config: { ...loadConfig({}).collector, rateLimitPerSecond: 1e9 },
    logger,
    resolveWriteKey: async () => ({ workspaceId: 'ws_e2e', sourceId: 's' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/events`;
  const bodiesFile = join(root, 'bodies.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < product.length; i += 100)
    lines.push(JSON.stringify({ events: product.slice(i, i + 100) }));
  writeFileSync(bodiesFile, `${lines.join('\n')}\n`);
  started = performance.now();
  const generator = spawn(
    process.execPath,
    [fileURLToPath(new URL('./load-generator.ts', import.meta.url)), url, bodiesFile, '16', 'Bearer bench'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let acknowledged = '';
  generator.stdout.on('data', (d: Buffer) => {
    acknowledged += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => generator.once('exit', resolve));
  if (code !== 0 || Number(acknowledged) !== product.length)
    throw new Error(`load generator failed (exit ${code}, acknowledged ${acknowledged.trim()})`);
  const acknowledgedSeconds = (performance.now() - started) / 1000;
  while ((await count('ws_e2e')) < product.length) await new Promise((r) => setTimeout(r, 100));
  const e2eSeconds = (performance.now() - started) / 1000;
  const e2eRate = product.length / e2eSeconds;
  await app.close();
  await ingester.stop();
  await bus.close();
  await warehouse.close();
  rmSync(root, { recursive: true, force: true });

  console.log(
    `ingest: ${product.length.toLocaleString('en')} product events of the demo mix, HTTP batches of 100, 16 connections from a separate process`,
  );
  console.log(
    `  direct batched insert (baseline)     ${Math.round(directRate).toLocaleString('en')} events/s`,
  );
  console.log(
    `  acknowledged by the collector        ${Math.round(product.length / acknowledgedSeconds).toLocaleString('en')} events/s`,
  );
  console.log(
    `  end to end (HTTP → log → warehouse)  ${Math.round(e2eRate).toLocaleString('en')} events/s  = ${(e2eRate / directRate).toFixed(2)}× the direct insert`,
  );
}
