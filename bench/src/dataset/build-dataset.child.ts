// Builds one cached bench dataset in its own process (chDB opens one data path per process):
//   node bench/src/dataset/build-dataset.child.ts --events 100000000 --path data/bench-datasets/demo-…
// The manifest (dataset.json) is written last: a dataset without one is incomplete and rebuilt.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '@pulse/warehouse';
import { buildDataset, type DatasetManifest, openEngine, schemaKey } from './bench-dataset.ts';

const { values } = parseArgs({ options: { events: { type: 'string' }, path: { type: 'string' } } });
const events = Number(values.events);
if (!values.path || !Number.isInteger(events) || events < 1) {
  console.error('usage: build-dataset.child.ts --events N --path DIR');
  process.exit(2);
}
rmSync(values.path, { recursive: true, force: true });
mkdirSync(values.path, { recursive: true });
const started = performance.now();
const warehouse = await openEngine(join(values.path, 'engine'));
await migrate(warehouse);
const built = await buildDataset(warehouse, { events, log: (line) => console.log(`dataset: ${line}`) });
// Merge what the copies left as many small parts, as a warehouse that has been running for a
// while would have; a benchmark should not measure background merges of the build.
const merging = performance.now();
const tables = await warehouse.client.query({
  query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'",
  format: 'JSONEachRow',
});
for (const { name } of await tables.json<{ name: string }>())
  await warehouse.client.command({ query: `OPTIMIZE TABLE ${name} FINAL` });
console.log(`dataset: merged in ${((performance.now() - merging) / 1000).toFixed(1)} s`);
await warehouse.close();
const manifest: DatasetManifest = {
  ...built,
  buildSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  schemaKey: schemaKey(),
  builtAt: new Date().toISOString(),
};
writeFileSync(join(values.path, 'dataset.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `dataset: ${manifest.events.toLocaleString('en')} events (${manifest.copies} copies of ${manifest.baseEvents.toLocaleString('en')}) built in ${manifest.buildSeconds} s at ${values.path}`,
);
