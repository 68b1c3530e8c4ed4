// Builds one cached bench dataset in its own process (chDB opens one data path per process):
//   node bench/src/dataset/build-dataset.child.ts --events 100000000 --path data/bench-datasets/demo-…
// With `--migrate-from DIR` it clones a dataset cached for an older schema and applies the new
// migrations to it instead (their backfills fill new rollups), which is what an upgrade does.
// The manifest (dataset.json) is written last: a dataset without one is incomplete and rebuilt.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate, sealFinishedDays, type Warehouse } from '@pulse/warehouse';
import {
  buildDataset,
  builderVersion,
  type DatasetManifest,
  datasetEnd,
  openEngine,
  schemaKey,
} from './bench-dataset.ts';
import { cloneDataDir } from './clone-data-dir.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    path: { type: 'string' },
    'migrate-from': { type: 'string' },
    workspace: { type: 'string' },
  },
});
const events = Number(values.events);
const from = values['migrate-from'];
if (!values.path || !Number.isInteger(events) || events < 1) {
  console.error('usage: build-dataset.child.ts --events N --path DIR [--migrate-from DIR] [--workspace ID]');
  process.exit(2);
}
const log = (line: string) => console.log(`dataset: ${line}`);
rmSync(values.path, { recursive: true, force: true });
mkdirSync(values.path, { recursive: true });
const started = performance.now();
// The schema this build applies, read now: a migration added while a long build runs is not in it.
const key = schemaKey();
let manifest: DatasetManifest;
if (from) {
  const older = JSON.parse(readFileSync(join(from, 'dataset.json'), 'utf8')) as DatasetManifest;
  cloneDataDir(join(from, 'engine'), join(values.path, 'engine'));
  const warehouse = await openEngine(join(values.path, 'engine'));
  const applied = await migrate(warehouse);
  log(`migrated ${basename(from)} with ${applied.map((m) => m.file).join(', ') || 'nothing'}`);
  await seal(warehouse);
  await mergeSmallParts(warehouse);
  await warehouse.close();
  manifest = {
    ...older,
    migratedFrom: basename(from),
    buildSeconds: older.buildSeconds,
    schemaKey: key,
    builderVersion,
  };
} else {
  const warehouse = await openEngine(join(values.path, 'engine'));
  await migrate(warehouse);
  const built = await buildDataset(warehouse, {
    events,
    log,
    ...(values.workspace ? { workspace: values.workspace } : {}),
  });
  await seal(warehouse);
  await mergeSmallParts(warehouse);
  await warehouse.close();
  manifest = {
    ...built,
    buildSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    schemaKey: key,
    builtAt: new Date().toISOString(),
    builderVersion,
  };
}
writeFileSync(join(values.path, 'dataset.json'), `${JSON.stringify(manifest, null, 2)}\n`);
log(
  `${manifest.events.toLocaleString('en')} events (${manifest.copies} copies of ${manifest.baseEvents.toLocaleString('en')}) ` +
    `ready in ${((performance.now() - started) / 1000).toFixed(1)} s at ${values.path}`,
);

/**
 * Merges every partition the copies left in several parts, as a warehouse that has run for a
 * while would have; a benchmark should not measure the build's background merges. Partitions
 * already in one part are left alone (OPTIMIZE FINAL would rewrite them for nothing).
 */
async function mergeSmallParts(warehouse: Warehouse): Promise<void> {
  const t = performance.now();
  const result = await warehouse.client.query({
    query: `SELECT table, partition_id FROM system.parts WHERE database = currentDatabase() AND active
            GROUP BY table, partition_id HAVING count() > 1 ORDER BY table, partition_id`,
    format: 'JSONEachRow',
  });
  const partitions = await result.json<{ table: string; partition_id: string }>();
  for (const { table, partition_id } of partitions)
    await warehouse.client.command({
      query: `OPTIMIZE TABLE ${table} PARTITION ID {partition:String} FINAL`,
      query_params: { partition: partition_id },
    });
  log(`merged ${partitions.length} partitions in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/**
 * Seals the snapshot changes of every day before the dataset's end, as a running Pulse would have
 * by then (warehouse/src/metrics/seal-changes.ts); benchmarks then read what a deployment reads.
 */
async function seal(warehouse: Warehouse): Promise<void> {
  const t = performance.now();
  const results = await sealFinishedDays(warehouse, { now: datasetEnd });
  const days = results.reduce((n, r) => n + r.days, 0);
  log(`sealed ${days} source-days of snapshot changes in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
