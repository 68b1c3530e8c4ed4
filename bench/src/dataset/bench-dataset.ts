// The big demo workspace the query and dashboard benchmarks measure on (issues 4 and 6: "on 100M
// demo events"). Simulating and inserting 100M events takes about half an hour; here the
// simulator loads ~1M events of the real demo mix and the engine copies them into the rest
// (`scale-copies.ts`), which takes minutes. The result is cached under ./data keyed by
// (events, schema), and every run works on a hard-linked clone, so what a benchmark inserts
// never leaks into the next run.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemoHistory } from '@pulse/ingest/demo/load-demo';
import { createWarehouse, loadMigrations, type Warehouse } from '@pulse/warehouse';
import { cloneDataDir } from './clone-data-dir.ts';
import { rawTables, scaleCopies } from './scale-copies.ts';

export interface DatasetManifest {
  events: number;
  requested: number;
  baseEvents: number;
  copies: number;
  rowsByTable: Record<string, number>;
  buildSeconds: number;
  schemaKey: string;
  workspace: string;
  end: string;
  builtAt: string;
}

export interface BenchDataset {
  manifest: DatasetManifest;
  /** The working clone's engine: insert into it freely. */
  warehouse: Warehouse;
  workspace: string;
  end: Date;
  /** True when this call built the dataset, false when it reused the cache. */
  built: boolean;
  /** Closes the engine and removes the working clone (the cached dataset stays). */
  close(): Promise<void>;
}

/** What every benchmark on this dataset shares: one workspace, 90 days ending here. */
export const datasetWorkspace = 'ws_bench';
export const datasetEnd = new Date('2026-11-24T00:00:00Z');
export const datasetDatabase = 'bench';
const baseSeed = 3;
const defaultBaseEvents = 1_000_000;
/** Bump when the way the dataset is built changes, so old caches are not reused. */
const builderVersion = 1;
const defaultRoot = new URL('../../../data/bench-datasets/', import.meta.url).pathname;

/** Migrations and builder version: a cached dataset is reused only for the same schema. */
export function schemaKey(): string {
  const hash = createHash('sha256').update(`builder ${builderVersion}`);
  for (const m of loadMigrations()) hash.update(`${m.version}:${m.checksum}`);
  return hash.digest('hex').slice(0, 12);
}

export const datasetPath = (events: number, root = defaultRoot) =>
  join(root, `demo-${events}-${schemaKey()}`);

/**
 * Opens a working clone of the `events`-sized dataset, building it first (in a child process,
 * since chDB opens one data path per process) when it is not cached or `rebuild` is set.
 */
export async function openBenchDataset(options: {
  events: number;
  rebuild?: boolean;
  root?: string;
}): Promise<BenchDataset> {
  const root = options.root ?? defaultRoot;
  const path = datasetPath(options.events, root);
  const manifestFile = join(path, 'dataset.json');
  const built = options.rebuild === true || !existsSync(manifestFile);
  if (built) {
    rmSync(path, { recursive: true, force: true });
    await buildInChild(options.events, path);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DatasetManifest;
  const work = join(root, `work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  cloneDataDir(join(path, 'engine'), work);
  const warehouse = await openEngine(work);
  return {
    manifest,
    warehouse,
    workspace: manifest.workspace,
    end: new Date(manifest.end),
    built,
    async close() {
      await warehouse.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export function openEngine(dataPath: string): Promise<Warehouse> {
  return createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: datasetDatabase,
    cluster: undefined,
    dataPath,
  });
}

function buildInChild(events: number, path: string): Promise<void> {
  const script = new URL('./build-dataset.child.ts', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--events', String(events), '--path', path], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`building the ${events}-event dataset failed (exit ${code})`)),
    );
  });
}

/**
 * Loads ~`baseEvents` of the demo mix through the simulator (rollup views fill as on ingest),
 * then copies them until about `events` rows are in, and checks what came out: every event id
 * once, each table `copies` times its base.
 */
export async function buildDataset(
  warehouse: Warehouse,
  options: { events: number; baseEvents?: number; log?: (line: string) => void },
): Promise<Omit<DatasetManifest, 'schemaKey' | 'builtAt'>> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const { events: baseEvents } = await loadDemoHistory({
    warehouse,
    workspaceId: datasetWorkspace,
    config: { seed: baseSeed, days: 90 } as never,
    targetEvents: Math.min(options.events, options.baseEvents ?? defaultBaseEvents),
    end: datasetEnd,
  });
  const copies = Math.max(1, Math.round(options.events / baseEvents));
  log(`simulated ${baseEvents.toLocaleString('en')} events in ${seconds(started)} s; ${copies} copies to go`);
  const base = await rowsByTable(warehouse);
  await scaleCopies(warehouse, {
    workspace: datasetWorkspace,
    copies,
    seedDatabase: `${datasetDatabase}_seed`,
    onCopy: (copy) => {
      if (copy % 10 === 0 || copy === copies - 1)
        log(`copy ${copy + 1}/${copies} after ${seconds(started)} s`);
    },
  });
  const rows = await rowsByTable(warehouse);
  for (const table of rawTables) {
    const expected = (base[table] ?? 0) * copies;
    if (rows[table] !== expected)
      throw new Error(
        `${table}: ${rows[table]} rows after ${copies} copies of ${base[table]}, not ${expected}`,
      );
  }
  const events = Object.values(rows).reduce((a, b) => a + b, 0);
  return {
    events,
    requested: options.events,
    baseEvents,
    copies,
    rowsByTable: rows,
    buildSeconds: Number(seconds(started)),
    workspace: datasetWorkspace,
    end: datasetEnd.toISOString(),
  };
}

/** Rows per raw table, refusing a table whose event ids repeat. */
async function rowsByTable(warehouse: Warehouse): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of rawTables) {
    const result = await warehouse.client.query({
      query: `SELECT count() AS n, uniqExact(event_id) AS ids FROM ${table} WHERE workspace_id = {ws:String}`,
      query_params: { ws: datasetWorkspace },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const [row] = await result.json<{ n: number; ids: number }>();
    if (!row || row.n !== row.ids)
      throw new Error(`${table}: ${row?.n} rows but ${row?.ids} distinct event ids`);
    out[table] = row.n;
  }
  return out;
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
