// Child process of the reports benchmark: renders the 1M-row XLSX from the warehouse at argv[2]
// and prints its time and peak RSS as JSON. A process of its own, so its peak RSS is the export's.
import { createWriteStream } from 'node:fs';
import { renderReport } from '@pulse/reports';
import { streamResultRows } from '@pulse/reports/exports/index';
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
const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
const started = performance.now();
const result = await renderReport(
  {
    title: '1M rows',
    period: 'bench',
    generatedAt: new Date(),
    dataAsOf: new Date(),
    filters: [],
    timezone: 'UTC',
    tiles: [
      {
        title: 'Rows',
        chart: 'table',
        result: {
          columns: benchColumns,
          rows: [],
          truncated: false,
          timeRange: { from: '', to: '', timezone: 'UTC' },
          sql: '',
          params: {},
          plan: [],
          elapsedMs: 0,
        },
        rowsIterable: streamResultRows(warehouse, benchStatement(rows), benchColumns),
      },
    ],
  },
  'xlsx',
  createWriteStream(outPath),
);
const seconds = (performance.now() - started) / 1000;
await warehouse.close();
console.log(
  JSON.stringify({
    seconds,
    bytes: result.bytes,
    rssBeforeMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
