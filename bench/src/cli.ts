// `npm run bench -- <name> [--events N] [--rows N] [--rebuild] [--apart] [--connections N]`: runs one benchmark from bench/src/*.bench.ts.
// Each prints its figures next to a baseline measured in the same run, as ratios.
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

const available = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace('.bench.ts', ''));
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    help: { type: 'boolean', short: 'h' },
    events: { type: 'string' },
    rows: { type: 'string' },
    rebuild: { type: 'boolean' },
    apart: { type: 'boolean' },
    connections: { type: 'string' },
  },
});
const name = positionals[0];

if (values.help || !name || !available.includes(name)) {
  console.log(
    `usage: npm run bench -- <name> [--events N] [--rows N] [--rebuild] [--apart] [--connections N]\n\n--rebuild: build the cached demo dataset (query and dashboard benches) anew\n--apart: ingest-kafka runs the collector in a process of its own (the layout of \`pulse collector\`)\n--connections: concurrent HTTP connections of the ingest load generators (default 16)\n\nbenchmarks: ${available.join(', ')}\nresults and the machine they ran on: bench/README.md`,
  );
  process.exit(values.help ? 0 : 2);
}
const bench = (await import(`./${name}.bench.ts`)) as {
  run(options: {
    events?: number;
    rows?: number;
    rebuild?: boolean;
    apart?: boolean;
    connections?: number;
  }): Promise<void>;
};
await bench.run({
  events: values.events ? Number(values.events) : undefined,
  rows: values.rows ? Number(values.rows) : undefined,
  rebuild: values.rebuild === true,
  apart: values.apart === true,
  connections: values.connections ? Number(values.connections) : undefined,
});
