// End to end through the embedded log: HTTP batches of 100 events → collector → embedded durable
// log (fsync per acknowledgement) → ingester → queryable in the warehouse, next to a direct
// batched insert of the same events into the warehouse (the baseline), in the same run.
// The helpers below are shared with ingest-kafka.bench.ts (the same run through a real broker).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, createMetricsRegistry, loadConfig, type PulseEvent, type Registry } from '@pulse/core';
import { createEmbeddedBus, createIngester, createSimulator, registerCollector } from '@pulse/ingest';
import { createWarehouse, insertEvents, migrate, type Warehouse } from '@pulse/warehouse';
import Fastify from 'fastify';

/** The product events of the demo mix (at most `total`; the simulator's other families dropped). */
export function demoProductEvents(total: number): PulseEvent[] {
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
  return events.filter((e) => e.family === 'product');
}

/** A fresh embedded warehouse (database `bench`) under `root`, migrated. */
export async function openBenchWarehouse(root: string): Promise<Warehouse> {
  const warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'bench',
    cluster: undefined,
    dataPath: join(root, 'wh'),
  });
  await migrate(warehouse);
  return warehouse;
}

/** Product events of one workspace that a query sees now. */
export async function countEvents(warehouse: Warehouse, ws: string): Promise<number> {
  return Number(
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
}

/** Active parts of the bench database now: the total and the three tables with the most. */
export async function activeParts(
  warehouse: Warehouse,
): Promise<{ total: number; top: { table: string; parts: number }[] }> {
  const rows = await (
    await warehouse.client.query({
      query:
        "SELECT table, count() AS parts FROM system.parts WHERE active AND database = 'bench' GROUP BY table ORDER BY parts DESC",
      format: 'JSONEachRow',
    })
  ).json<{ table: string; parts: string }>();
  const top = rows.map((r) => ({ table: r.table, parts: Number(r.parts) }));
  return { total: top.reduce((s, t) => s + t.parts, 0), top: top.slice(0, 3) };
}

/** The ingester's consumed batches (one insert each): how many, and their mean size. */
export async function insertSizes(metrics: Registry): Promise<{ count: number; mean: number }> {
  const values = ((await metrics.getSingleMetric('pulse_ingest_batch_rows')?.get())?.values ?? []) as {
    metricName?: string;
    value: number;
  }[];
  const count = values.find((v) => v.metricName === 'pulse_ingest_batch_rows_count')?.value ?? 0;
  const sum = values.find((v) => v.metricName === 'pulse_ingest_batch_rows_sum')?.value ?? 0;
  return { count, mean: count === 0 ? 0 : sum / count };
}

/** Samples the active parts every second until stopped; resolves with the most seen. */
export function sampleActiveParts(warehouse: Warehouse): { stop(): Promise<number> } {
  let most = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      most = Math.max(most, (await activeParts(warehouse)).total);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await sampler;
      return most;
    },
  };
}

const ticksToUs = 1e6 / 100; // USER_HZ (getconf CLK_TCK) is 100 on Linux

/** The name and the CPU (utime + stime, in µs) in a `/proc/.../stat` file. */
function statCpu(path: string): { name: string; cpu: number } {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    cpu: (Number(fields[11]) + Number(fields[12])) * ticksToUs,
  };
}

/** CPU of process `pid` so far (utime + stime), in µs. */
export function processCpu(pid: number): number {
  return statCpu(`/proc/${pid}/stat`).cpu;
}

/**
 * CPU of this process's threads so far, in µs, summed by role: `event loop` (the main thread),
 * `warehouse` (chDB's query threads), `merges` (its background merges), `gc helpers` (V8's),
 * `libuv pool` (file writes, fsync, chDB calls) and the rest by thread name. The process total
 * alone does not say whether the event loop or the machine's cores are the limit.
 */
export function threadCpu(): Map<string, number> {
  const roles: Record<string, string> = {
    ThreadPool: 'warehouse',
    QueryPipelineEx: 'warehouse',
    MergeMutate: 'merges',
    V8Worker: 'gc helpers',
    'libuv-worker': 'libuv pool',
  };
  const byRole = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let thread: { name: string; cpu: number };
    try {
      thread = statCpu(`/proc/self/task/${tid}/stat`);
    } catch {
      continue; // the thread ended meanwhile
    }
    const role = tid === String(process.pid) ? 'event loop' : (roles[thread.name] ?? 'other');
    byRole.set(role, (byRole.get(role) ?? 0) + thread.cpu);
  }
  return byRole;
}

/** The CPU each role used since `before` (threads that ended in between are not counted). */
export function threadCpuSince(before: Map<string, number>): Map<string, number> {
  const now = threadCpu();
  for (const [role, us] of now) now.set(role, us - (before.get(role) ?? 0));
  return now;
}

/** `event loop 11.6, warehouse 7.5, …` in µs per event, largest first. */
export function formatThreads(threads: Map<string, number>, events: number): string {
  return [...threads]
    .filter(([, us]) => us > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([role, us]) => `${role} ${(us / events).toFixed(1)}`)
    .join(', ');
}

/** Baseline: the same events inserted directly in batches of 50k (workspace `ws_direct`), events/s. */
export async function directInsertRate(warehouse: Warehouse, events: readonly PulseEvent[]): Promise<number> {
  const rows = events.map((e) => ({ ...e, workspaceId: 'ws_direct' }));
  const started = performance.now();
  for (let i = 0; i < rows.length; i += 50_000) await insertEvents(warehouse, rows.slice(i, i + 50_000));
  return rows.length / ((performance.now() - started) / 1000);
}

/**
 * Empties every table but the migration log, so that the run after the baseline starts on an empty
 * warehouse as the baseline did: the baseline's rows share the run's monthly partitions, and merging
 * the run's parts with them cost the run ~2 µs per event of merges (2026-12-05, session 8).
 */
export async function emptyTables(warehouse: Warehouse): Promise<void> {
  const tables = await (
    await warehouse.client.query({
      query:
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'pulse_migrations'",
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>();
  for (const { name } of tables) await warehouse.client.command({ query: `TRUNCATE TABLE ${name}` });
}

/**
 * The run's events, prepared so the measured process does not carry them: generates the product
 * events of the demo mix, measures the baseline with them, writes the load generator's bodies,
 * and keeps only the first `keep` (hundreds of MB at 1M would otherwise stay on the Pulse
 * process's heap, marked by every one of its major GCs — a cost no real server pays).
 */
export async function prepareEvents(
  root: string,
  warehouse: Warehouse,
  total: number,
  keep = 0,
): Promise<{ count: number; directRate: number; bodiesFile: string; sample: PulseEvent[] }> {
  const product = demoProductEvents(total);
  const directRate = await directInsertRate(warehouse, product);
  await emptyTables(warehouse);
  const bodiesFile = writeBodies(root, product);
  return { count: product.length, directRate, bodiesFile, sample: product.slice(0, keep) };
}

/** Writes the events as `/v1/events` bodies of 100, one a line, for the load generator. */
export function writeBodies(root: string, events: readonly PulseEvent[]): string {
  const file = join(root, 'bodies.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < events.length; i += 100)
    lines.push(JSON.stringify({ events: events.slice(i, i + 100) }));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A load generator started and ready: its bodies loaded, waiting for `run`. */
export interface LoadGenerator {
  /** Posts every body; resolves with the generator's own CPU over the run, in µs. */
  run(): Promise<{ cpuMicros: number }>;
}

/**
 * Starts a load generator in its own process that will post every body over `connections`
 * connections, and resolves once it has loaded them (so the caller starts its clock and CPU
 * counters on a generator about to send, not one reading hundreds of MB). `run` throws unless
 * exactly `expected` events were accepted.
 */
export async function startLoadGenerator(
  url: string,
  bodiesFile: string,
  connections: number,
  authorization: string,
  expected: number,
): Promise<LoadGenerator> {
  const generator = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('./load-generator.ts', import.meta.url)),
      url,
      bodiesFile,
      String(connections),
      authorization,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => generator.once('exit', resolve));
  const lines = createInterface({ input: generator.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || first.value !== 'ready')
    throw new Error(`load generator failed to start (exit ${await exited})`);
  return {
    async run() {
      generator.stdin!.end('go\n');
      const last = await lines.next();
      const code = await exited;
      const answer = last.done
        ? undefined
        : (JSON.parse(last.value) as { acknowledged: number; cpuMicros: number });
      if (code !== 0 || answer?.acknowledged !== expected)
        throw new Error(`load generator failed (exit ${code}, acknowledged ${answer?.acknowledged})`);
      return { cpuMicros: answer.cpuMicros };
    },
  };
}

export async function run(options: { events?: number; connections?: number }): Promise<void> {
  const total = options.events ?? 200_000;
  const connections = options.connections ?? 16;
  const root = mkdtempSync(join(tmpdir(), 'pulse-bench-ingest-'));
  const logger = createLogger({ level: 'warn', serviceName: 'bench' });
  const warehouse = await openBenchWarehouse(root);
  // Baseline: the same product events, inserted directly in batches of 50k.
  const { count, directRate, bodiesFile } = await prepareEvents(root, warehouse, total);

  // End to end over HTTP on loopback.
  const bus = await createEmbeddedBus({ dataPath: join(root, 'bus') });
  const metrics = createMetricsRegistry();
  const ingester = await createIngester({ bus, warehouse, logger, metrics });
  const app = Fastify();
  registerCollector(app, {
    bus,
    config: { ...loadConfig({}).collector, rateLimitPerSecond: 1e9 },
    logger,
    resolveWriteKey: async () => ({ workspaceId: 'ws_e2e', sourceId: 's' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/events`;
  const partsSampler = sampleActiveParts(warehouse);
  const generator = await startLoadGenerator(url, bodiesFile, connections, 'Bearer bench', count);
  const cpuBefore = process.cpuUsage();
  const threadsBefore = threadCpu();
  const started = performance.now();
  const { cpuMicros: generatorCpu } = await generator.run();
  const acknowledgedSeconds = (performance.now() - started) / 1000;
  while ((await countEvents(warehouse, 'ws_e2e')) < count) await new Promise((r) => setTimeout(r, 100));
  const e2eSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const pulseCpu = cpu.user + cpu.system;
  const threads = threadCpuSince(threadsBefore);
  const maxParts = await partsSampler.stop();
  const parts = await activeParts(warehouse);
  const perEvent = (us: number) => (us / count).toFixed(1);
  const e2eRate = count / e2eSeconds;
  const inserts = await insertSizes(metrics);
  await app.close();
  await ingester.stop();
  await bus.close();
  await warehouse.close();
  rmSync(root, { recursive: true, force: true });

  console.log(
    `ingest: ${count.toLocaleString('en')} product events of the demo mix, HTTP batches of 100, ${connections} connections from a separate process`,
  );
  console.log(
    `  direct batched insert (baseline)     ${Math.round(directRate).toLocaleString('en')} events/s`,
  );
  console.log(
    `  acknowledged by the collector        ${Math.round(count / acknowledgedSeconds).toLocaleString('en')} events/s`,
  );
  console.log(
    `  end to end (HTTP → log → warehouse)  ${Math.round(e2eRate).toLocaleString('en')} events/s  = ${(e2eRate / directRate).toFixed(2)}× the direct insert`,
  );
  console.log(
    `  CPU per event, both processes       ${perEvent(pulseCpu + generatorCpu)} µs  (pulse process ${perEvent(pulseCpu)}, load generator ${perEvent(generatorCpu)})`,
  );
  console.log(`  where the pulse process's CPU went   ${formatThreads(threads, count)}`);
  console.log(
    `  inserts                              ${inserts.count.toLocaleString('en')}, ${Math.round(inserts.mean).toLocaleString('en')} events each on average`,
  );
  console.log(
    `  active parts after the run           ${parts.total} (${parts.top.map((t) => `${t.table} ${t.parts}`).join(', ')}); most seen during the run ${Math.max(maxParts, parts.total)}`,
  );
}
