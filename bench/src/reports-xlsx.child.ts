// Child process of the reports benchmark: exports the 1M-row XLSX from the warehouse at argv[2]
// the way the product does (`writeExport`: the engine here, the renderer in a process of its
// own) and prints its time and both processes' peak RSS as JSON. A process of its own, so its
// peak RSS is the engine's plus what the export added to it.
import { writeExport } from '@pulse/reports/exports/index';
import { createWarehouse } from '@pulse/warehouse';
import { benchColumns, benchStatement } from './reports-fixture.ts';

const [dataPath, rowsArg, outPath] = process.argv.slice(2) as [string, string, string];
const rows = Number(rowsArg);
const warehouse = await createWarehouse({
  url: undefined,
  user: 'default',
  password: '',
  database: 'bench',
  cluster: undefined,
  dataPath,
});
const engineOpenMb = process.memoryUsage().rss / 2 ** 20;
// The longest the event loop was kept busy while the export ran (it renders elsewhere).
let longestStallMs = 0;
let last = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  longestStallMs = Math.max(longestStallMs, now - last - 10);
  last = now;
}, 10);
const started = performance.now();
const written = await writeExport({
  warehouse,
  source: {
    columns: benchColumns,
    statement: benchStatement(rows),
    limit: rows,
    timeRange: { from: new Date(0), to: new Date(0), timezone: 'UTC' },
    filters: [],
  },
  format: 'xlsx',
  document: {
    title: '1M rows',
    period: 'bench',
    generatedAt: new Date(),
    dataAsOf: new Date(),
    filters: [],
    timezone: 'UTC',
  },
  path: outPath,
});
const seconds = (performance.now() - started) / 1000;
clearInterval(ticker);
await warehouse.close();
console.log(
  JSON.stringify({
    seconds,
    bytes: written.bytes,
    rows: written.rows,
    engineOpenMb,
    enginePeakMb: process.resourceUsage().maxRSS / 1024,
    rendererPeakMb: (written.rendererPeakRssBytes ?? 0) / 2 ** 20,
    longestStallMs,
  }),
);
