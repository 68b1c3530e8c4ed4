// End to end through a real Kafka broker: HTTP batches of 100 events of the demo mix → collector →
// Kafka (kafkajs, idempotent producer) → ingester → queryable in the warehouse, wired as
// start-pulse wires it when KAFKA_BROKERS is set (loadConfig → createBus → ingester + collector, one
// process), next to a direct batched insert of the same rows (the baseline) in the same run.
// Printed: sustained events/s until the last event is queryable, CPU µs per event over every
// process (this one with the embedded warehouse, the load generator, the broker's JVM), active
// parts in the warehouse, and freshness (acknowledged → visible to a query) at half the rate reached.
// `--apart`: the collector runs in a process of its own (`pulse collector`'s layout, collector.child.ts)
// and this process is the ingester with the engine; its CPU is counted with the others.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMetricsRegistry, loadConfig, type PulseEvent } from '@pulse/core';
import { startKafka } from '@pulse/infra';
import { createBus, createIngester, registerCollector } from '@pulse/ingest';
import type { Warehouse } from '@pulse/warehouse';
import Fastify from 'fastify';
import {
  activeParts,
  countEvents,
  openBenchWarehouse,
  prepareEvents,
  processCpu,
  insertSizes,
  startLoadGenerator,
  sampleActiveParts,
} from './ingest.bench.ts';

const freshnessSeconds = 20;
const pollMs = 100;

export async function run(options: {
  events?: number;
  apart?: boolean;
  connections?: number;
}): Promise<void> {
  const total = options.events ?? 200_000;
  const connections = options.connections ?? 16;
  const root = mkdtempSync(join(tmpdir(), 'pulse-bench-ingest-kafka-'));
  const logger = createLogger({ level: 'warn', serviceName: 'bench' });
  const warehouse = await openBenchWarehouse(root);
  // The events of the freshness run are drawn from a sample of 10,000.
  const { count, directRate, bodiesFile, sample } = await prepareEvents(root, warehouse, total, 10_000);

  const kafka = await startKafka();
  const brokerPid = findBrokerPid(kafka.dataDir);
  const config = loadConfig({
    KAFKA_BROKERS: kafka.brokers.join(','),
    PULSE_COLLECTOR_RATE_LIMIT: '1000000000',
  });
  const metrics = createMetricsRegistry();
  const bus = await createBus(config.bus, logger);
  const ingester = await createIngester({ bus, warehouse, logger, metrics });
  const app = Fastify();
  let collectorChild: ChildProcess | undefined;
  let port: number;
  if (options.apart) {
    collectorChild = spawn(
      process.execPath,
      [new URL('./collector.child.ts', import.meta.url).pathname, kafka.brokers.join(',')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    port = 0;
    for await (const line of createInterface({ input: collectorChild.stdout! })) {
      const found = /^collector-port (\d+)$/.exec(line);
      if (found) {
        port = Number(found[1]);
        break;
      }
    }
    if (!port) throw new Error('the collector process ended before listening');
    collectorChild.stdout!.resume(); // its later logs are not read
  } else {
    registerCollector(app, {
      bus,
      config: config.collector,
      logger,
      metrics,
      resolveWriteKey: async (key) => ({
        workspaceId: key === 'fresh' ? 'ws_fresh' : 'ws_e2e',
        sourceId: 's',
      }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  }
  const url = `http://127.0.0.1:${port}/v1/events`;
  const collectorPid = collectorChild?.pid;
  try {
    // Throughput: 16 connections (--connections) from a load generator in its own process, as fast as acknowledged.
    const partsSampler = sampleActiveParts(warehouse);
    const generator = await startLoadGenerator(url, bodiesFile, connections, 'Bearer bench', count);
    const cpuBefore = cpuSnapshot(brokerPid, collectorPid);
    const started = performance.now();
    const { cpuMicros: generatorCpu } = await generator.run();
    const acknowledgedSeconds = (performance.now() - started) / 1000;
    while ((await countEvents(warehouse, 'ws_e2e')) < count) await new Promise((r) => setTimeout(r, 50));
    const e2eSeconds = (performance.now() - started) / 1000;
    const cpu = { ...cpuDelta(cpuBefore, cpuSnapshot(brokerPid, collectorPid)), generator: generatorCpu };
    const maxParts = await partsSampler.stop();
    const e2eRate = count / e2eSeconds;
    const parts = await activeParts(warehouse);
    const inserts = await insertSizes(metrics);

    // Freshness at half the rate reached, paced from this process.
    const fresh = await freshness(warehouse, url, sample, e2eRate / 2);

    const perEvent = (us: number) => (us / count).toFixed(1);
    const n = (x: number) => Math.round(x).toLocaleString('en');
    console.log(
      `ingest-kafka: ${n(count)} product events of the demo mix, HTTP batches of 100, ${connections} connections from a separate process, one Kafka broker (3 partitions), ${options.apart ? 'collector in a process of its own' : 'collector and ingester in one process'}`,
    );
    console.log(`  direct batched insert (baseline)       ${n(directRate)} events/s`);
    console.log(`  acknowledged by the collector          ${n(count / acknowledgedSeconds)} events/s`);
    console.log(
      `  end to end (HTTP → Kafka → warehouse)  ${n(e2eRate)} events/s  = ${(e2eRate / directRate).toFixed(2)}× the direct insert  (${e2eSeconds.toFixed(1)} s)`,
    );
    console.log(
      `  CPU per event, all processes           ${perEvent(cpu.self + cpu.generator + cpu.broker + cpu.collector)} µs  (${options.apart ? `ingester process ${perEvent(cpu.self)}, collector process ${perEvent(cpu.collector)}` : `pulse process ${perEvent(cpu.self)}`}, load generator ${perEvent(cpu.generator)}, broker JVM ${perEvent(cpu.broker)})`,
    );
    console.log(
      `  ingester batches                       ${n(inserts.count)}, ${n(inserts.mean)} events each on average`,
    );
    console.log(
      `  active parts after the run             ${parts.total} (${parts.top.map((t) => `${t.table} ${t.parts}`).join(', ')}); most seen during the run ${maxParts}`,
    );
    console.log(
      `  freshness at ${n(fresh.rate)} events/s (target ${n(e2eRate / 2)}, ${freshnessSeconds} s, ${n(fresh.events)} events): p50 ${fresh.p50.toFixed(2)} s, p95 ${fresh.p95.toFixed(2)} s, p99 ${fresh.p99.toFixed(2)} s, max ${fresh.max.toFixed(2)} s (poll every ${pollMs} ms)`,
    );
  } finally {
    if (collectorChild) {
      collectorChild.kill('SIGTERM');
      await once(collectorChild, 'exit');
    }
    await app.close();
    await ingester.stop();
    await bus.close();
    await kafka.destroy();
    await warehouse.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The broker's JVM: the java process whose command line names this broker's server.properties. */
function findBrokerPid(dataDir: string): number {
  const config = join(dataDir, 'server.properties');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('kafka.Kafka') && args.includes(config)) return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  throw new Error(`no broker process found for ${config}`);
}

interface CpuSnapshot {
  self: number;
  broker: number;
  collector: number;
}

/** This process (process.cpuUsage), the broker, the collector. */
function cpuSnapshot(brokerPid: number, collectorPid?: number): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    self: own.user + own.system,
    broker: processCpu(brokerPid),
    collector: collectorPid === undefined ? 0 : processCpu(collectorPid),
  };
}

function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot {
  return {
    self: b.self - a.self,
    broker: b.broker - a.broker,
    collector: b.collector - a.collector,
  };
}

/**
 * Posts batches of 100 (workspace `ws_fresh`, event ids `<batch>-<i>`) at `rate` events/s for
 * `freshnessSeconds`, noting when each batch was acknowledged, while polling which events a query
 * sees every `pollMs`: an event's freshness is the poll that first saw it minus its acknowledgement.
 */
async function freshness(
  warehouse: Warehouse,
  url: string,
  product: readonly PulseEvent[],
  rate: number,
): Promise<{ rate: number; events: number; p50: number; p95: number; p99: number; max: number }> {
  const batches = Math.max(1, Math.round((rate * freshnessSeconds) / 100));
  const ackAt = new Map<number, number>();
  const seen = new Map<number, number>();
  const samples: number[] = [];
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const post = async (b: number) => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      ...product[(b * 100 + i) % product.length]!,
      eventId: `${b}-${i}`,
    }));
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer fresh' },
      body: JSON.stringify({ events }),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`collector answered ${res.status} during the freshness run`);
    ackAt.set(b, performance.now());
  };
  const sender = (async () => {
    for (let b = 0; b < batches; b++) {
      const due = started + (b * 100 * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = post(b).finally(() => inFlight.delete(p));
      inFlight.add(p);
      sent++;
    }
    await Promise.all(inFlight);
  })();
  let sending = true;
  let failed = false;
  const sendError = sender.then(
    () => {
      sending = false;
    },
    (err: unknown) => {
      sending = false;
      failed = true;
      throw err;
    },
  );
  let visible = 0;
  while (!failed && (sending || visible < batches * 100)) {
    const polledAt = performance.now();
    const rows = await (
      await warehouse.client.query({
        query:
          "SELECT toUInt32(splitByChar('-', event_id)[1]) AS b, count() AS n FROM product_events WHERE workspace_id = 'ws_fresh' GROUP BY b",
        format: 'JSONEachRow',
      })
    ).json<{ b: number | string; n: string }>();
    for (const r of rows) {
      const b = Number(r.b);
      const now = Number(r.n);
      const before = seen.get(b) ?? 0;
      const acked = ackAt.get(b);
      // A batch visible before its acknowledgement reached us counts as fresh at once.
      if (now > before) {
        const s = acked === undefined ? 0 : Math.max(0, (polledAt - acked) / 1000);
        for (let i = before; i < now; i++) samples.push(s);
        seen.set(b, now);
        visible += now - before;
      }
    }
    if (performance.now() - started > (freshnessSeconds + 120) * 1000)
      throw new Error(`only ${visible} of ${batches * 100} freshness events visible after 120 s`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  await sendError;
  const lastAck = Math.max(...ackAt.values());
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return {
    rate: (sent * 100) / ((lastAck - started) / 1000),
    events: sent * 100,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    max: samples.at(-1)!,
  };
}
