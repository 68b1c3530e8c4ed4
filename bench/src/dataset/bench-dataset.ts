// The big demo workspace the query and dashboard benchmarks measure on (issues 4 and 6: "on 100M
// demo events"). Simulating and inserting 100M events takes about half an hour; here the
// simulator loads ~1M events of the real demo mix and the engine copies them into the rest
// (`scale-copies.ts`), which takes minutes. The result is cached under ./data keyed by
// (events, schema), and every run works on a hard-linked clone, so what a benchmark inserts
// never leaks into the next run.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  /** The builder that made it (absent: 1); only a dataset of this builder is migrated forward. */
  builderVersion?: number;
  /** Set when an older schema's dataset was migrated to this one instead of rebuilt. */
  migratedFrom?: string;
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
export const builderVersion = 1;
const defaultRoot = new URL('../../../data/bench-datasets/', import.meta.url).pathname;

/** Migrations and builder version: a cached dataset is reused only for the same schema. */
export function schemaKey(): string {
  const hash = createHash('sha256').update(`builder ${builderVersion}`);
  for (const m of loadMigrations()) hash.update(`${m.version}:${m.checksum}`);
  return hash.digest('hex').slice(0, 12);
}

/**
 * The dataset's directory. A workspace other than the default one (the dashboard benchmark needs a
 * UUID, as Pulse's metadata names workspaces) is a dataset of its own.
 */
export const datasetPath = (events: number, root = defaultRoot, workspace = datasetWorkspace) =>
  join(
    root,
    `demo-${events}-${schemaKey()}${workspace === datasetWorkspace ? '' : `-${workspace.slice(0, 13)}`}`,
  );

/**
 * Opens a working clone of the `events`-sized dataset, building it first (in a child process,
 * since chDB opens one data path per process) when it is not cached or `rebuild` is set. A
 * dataset cached before a new migration is migrated forward, as a deployment would be, instead
 * of rebuilt (minutes less); `rebuild` builds from scratch regardless.
 */
export async function openBenchDataset(options: {
  events: number;
  rebuild?: boolean;
  root?: string;
}): Promise<BenchDataset> {
  const root = options.root ?? defaultRoot;
  removeAbandonedClones(root);
  const work = join(root, `work-${process.pid}`);
  const { manifest, built } = await cloneBenchDataset({ ...options, into: work });
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

/**
 * Builds the dataset when needed and clones its engine directory to `into` without opening it:
 * for a benchmark whose engine is opened by Pulse itself (chDB allows one per process). The
 * engine's database is `datasetDatabase`.
 */
export async function cloneBenchDataset(options: {
  events: number;
  into: string;
  workspace?: string;
  rebuild?: boolean;
  root?: string;
}): Promise<{ manifest: DatasetManifest; built: boolean }> {
  const root = options.root ?? defaultRoot;
  const workspace = options.workspace ?? datasetWorkspace;
  const path = datasetPath(options.events, root, workspace);
  const manifestFile = join(path, 'dataset.json');
  const built = options.rebuild === true || !existsSync(manifestFile);
  if (built) {
    rmSync(path, { recursive: true, force: true });
    const older = options.rebuild ? undefined : olderDataset(options.events, root, workspace);
    await buildInChild(options.events, path, workspace, older).catch(async (err: unknown) => {
      if (!older) throw err;
      console.log(`migrating ${older} failed (${String(err)}); building anew`);
      await buildInChild(options.events, path, workspace);
    });
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DatasetManifest;
  rmSync(options.into, { recursive: true, force: true });
  cloneDataDir(join(path, 'engine'), options.into);
  return { manifest, built };
}

/** Working clones of benchmarks that were killed before `close` (their process is gone). */
function removeAbandonedClones(root: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const pid = Number(/^work-(\d+)$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0); // still running: its clone is in use
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH')
        rmSync(join(root, name), { recursive: true, force: true });
    }
  }
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

/** A complete dataset of this size, workspace and builder made for an older schema, if cached. */
function olderDataset(events: number, root: string, workspace: string): string | undefined {
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((name) => name.startsWith(`demo-${events}-`))
    .map((name) => join(root, name))
    .find((dir) => {
      const file = join(dir, 'dataset.json');
      if (!existsSync(file)) return false;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as DatasetManifest;
      return (
        manifest.workspace === workspace &&
        manifest.schemaKey !== schemaKey() &&
        (manifest.builderVersion ?? 1) === builderVersion
      );
    });
}

function buildInChild(events: number, path: string, workspace: string, migrateFrom?: string): Promise<void> {
  const script = new URL('./build-dataset.child.ts', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const args = [script, '--events', String(events), '--path', path, '--workspace', workspace];
    if (migrateFrom) args.push('--migrate-from', migrateFrom);
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
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
  options: { events: number; baseEvents?: number; workspace?: string; log?: (line: string) => void },
): Promise<Omit<DatasetManifest, 'schemaKey' | 'builtAt'>> {
  const log = options.log ?? (() => {});
  const workspace = options.workspace ?? datasetWorkspace;
  const started = performance.now();
  const { events: baseEvents } = await loadDemoHistory({
    warehouse,
    workspaceId: workspace,
    config: { seed: baseSeed, days: 90 } as never,
    targetEvents: Math.min(options.events, options.baseEvents ?? defaultBaseEvents),
    end: datasetEnd,
  });
  const copies = Math.max(1, Math.round(options.events / baseEvents));
  log(`simulated ${baseEvents.toLocaleString('en')} events in ${seconds(started)} s; ${copies} copies to go`);
  const base = await rowsByTable(warehouse, workspace);
  await scaleCopies(warehouse, {
    workspace,
    copies,
    seedDatabase: `${datasetDatabase}_seed`,
    onCopy: (copy) => {
      if (copy % 10 === 0 || copy === copies - 1)
        log(`copy ${copy + 1}/${copies} after ${seconds(started)} s`);
    },
  });
  const rows = await rowsByTable(warehouse, workspace);
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
    workspace,
    end: datasetEnd.toISOString(),
  };
}

/** Rows per raw table, refusing a table whose event ids repeat. */
async function rowsByTable(warehouse: Warehouse, workspace: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of rawTables) {
    const result = await warehouse.client.query({
      query: `SELECT count() AS n, uniqExact(event_id) AS ids FROM ${table} WHERE workspace_id = {ws:String}`,
      query_params: { ws: workspace },
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
