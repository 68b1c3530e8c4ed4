// Reports (issue 7): a 1M-row result exported as CSV by our renderer and by the engine's own
// CSV writer (the baseline), as Parquet from the engine, as XLSX the way the product writes it
// (time, and the peak RSS of the engine's process and of the renderer's), and a 6-chart PDF next
// to an empty PDF. Ratios are measured in the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type ReportDocument, type ReportTile, renderReport } from '@pulse/reports';
import { streamResultRows, writeExport } from '@pulse/reports/exports/index';
import { createWarehouse, type ResultColumn, type ResultRow, type Warehouse } from '@pulse/warehouse';
import { benchColumns, benchStatement, createBenchRows } from './reports-fixture.ts';

const PDF_ROUNDS = 5;

export async function run(options: { rows?: number }): Promise<void> {
  const rows = options.rows ?? 1_000_000;
  const root = mkdtempSync(join(tmpdir(), 'pulse-bench-reports-'));
  const dataPath = join(root, 'warehouse');
  try {
    const warehouse = await open(dataPath);
    await createBenchRows(warehouse, rows);
    console.log(`${rows.toLocaleString('en')} rows ready`);

    const engineCsv = await timed(() => drainEngineCsv(warehouse, rows));
    const rendererCsv = await timed(() => renderToNull(warehouse, rows, 'csv'));
    const exportCsv = await timed(() =>
      writeExport({
        warehouse,
        source: {
          columns: benchColumns,
          statement: benchStatement(rows),
          limit: rows,
          timeRange: { from: new Date(0), to: new Date(0), timezone: 'UTC' },
          filters: [],
        },
        format: 'csv',
        document: doc([]),
        path: join(root, 'rows.csv'),
      }),
    );
    const engineParquet = await timed(() =>
      warehouse.raw.queryToFile({
        query: benchStatement(rows).sql,
        params: benchStatement(rows).params,
        format: 'Parquet',
        path: join(root, 'rows.parquet'),
      }),
    );
    const rate = (s: number) => `${Math.round(rows / s).toLocaleString('en')} rows/s`;
    console.log(`\nCSV, ${rows.toLocaleString('en')} rows`);
    console.log(`  engine CSV (baseline)     ${engineCsv.seconds.toFixed(2)} s  ${rate(engineCsv.seconds)}`);
    console.log(
      `  Pulse CSV renderer        ${rendererCsv.seconds.toFixed(2)} s  ${rate(rendererCsv.seconds)}  ` +
        `${((engineCsv.seconds / rendererCsv.seconds) * 100).toFixed(0)}% of the engine's speed (target ≥ 50%)`,
    );
    console.log(
      `  Pulse CSV export (file)   ${exportCsv.seconds.toFixed(2)} s  ${rate(exportCsv.seconds)}  ` +
        `${((engineCsv.seconds / exportCsv.seconds) * 100).toFixed(0)}% of the engine's speed (engine rows, our header)`,
    );
    console.log(
      `  engine Parquet (to file)  ${engineParquet.seconds.toFixed(2)} s  ${rate(engineParquet.seconds)}  ` +
        `${(engineParquet.value.bytes / 2 ** 20).toFixed(1)} MB`,
    );

    const pdf = await measurePdf();
    console.log(`\nPDF, median of ${PDF_ROUNDS}`);
    console.log(`  empty PDF (baseline)      ${(pdf.empty * 1000).toFixed(0)} ms`);
    console.log(
      `  6-chart PDF               ${(pdf.charts * 1000).toFixed(0)} ms  ${(pdf.charts / pdf.empty).toFixed(1)}× the empty one (target ≤ 2 s)`,
    );

    // The child opens the same data directory: one engine per process, so this one lets go first.
    await warehouse.close();
    const child = JSON.parse(
      execFileSync(
        process.execPath,
        [
          new URL('./reports-xlsx.child.ts', import.meta.url).pathname,
          dataPath,
          String(rows),
          join(root, 'rows.xlsx'),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      )
        .trim()
        .split('\n')
        .at(-1)!,
    ) as {
      seconds: number;
      bytes: number;
      engineOpenMb: number;
      enginePeakMb: number;
      rendererPeakMb: number;
      longestStallMs: number;
    };
    console.log(
      `\nXLSX, ${rows.toLocaleString('en')} rows, as the product exports it (engine process + renderer process)`,
    );
    console.log(
      `  ${child.seconds.toFixed(1)} s (target ≤ 30 s)  ${rate(child.seconds)}  ${(child.bytes / 2 ** 20).toFixed(1)} MB  ` +
        `${(child.seconds / engineCsv.seconds).toFixed(1)}× the engine CSV time`,
    );
    console.log(
      `  renderer process peak RSS ${child.rendererPeakMb.toFixed(0)} MB (target ≤ 300 MB)\n` +
        `  engine process: ${child.engineOpenMb.toFixed(0)} MB after opening chDB (baseline), peak ${child.enginePeakMb.toFixed(0)} MB ` +
        `(+${(child.enginePeakMb - child.engineOpenMb).toFixed(0)} MB: the engine running the query)\n` +
        `  longest event-loop stall in the engine process during the export ${child.longestStallMs.toFixed(0)} ms`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function open(dataPath: string): Promise<Warehouse> {
  return createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'bench',
    cluster: undefined,
    dataPath,
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - started) / 1000, value };
}

/** The engine writing CSV with nothing done to it: the fastest a CSV export can be. */
async function drainEngineCsv(warehouse: Warehouse, rows: number): Promise<number> {
  let bytes = 0;
  for await (const chunk of warehouse.raw.streamRows({
    query: benchStatement(rows).sql,
    params: benchStatement(rows).params,
    format: 'CSV',
  }))
    bytes += chunk.data.length;
  return bytes;
}

async function renderToNull(warehouse: Warehouse, rows: number, format: 'csv'): Promise<number> {
  const tile = shellTile('Rows', benchColumns, [], 'table');
  tile.rowsIterable = streamResultRows(warehouse, benchStatement(rows), benchColumns);
  const result = await renderReport(doc([tile]), format, nullSink());
  return result.bytes;
}

async function measurePdf(): Promise<{ empty: number; charts: number }> {
  const median = async (d: ReportDocument) => {
    const times: number[] = [];
    for (let i = 0; i < PDF_ROUNDS; i++)
      times.push((await timed(() => renderReport(d, 'pdf', nullSink()))).seconds);
    return times.sort((a, b) => a - b)[Math.floor(PDF_ROUNDS / 2)]!;
  };
  const empty = await median(doc([]));
  return { empty, charts: await median(doc(sixCharts())) };
}

/** Three line charts (90 days × 2 metrics) and three bar charts (12 categories), as a weekly report has. */
function sixCharts(): ReportTile[] {
  const day = (i: number) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
  const lineColumns: ResultColumn[] = [
    { name: 'time', kind: 'time', type: 'time', label: 'Day' },
    { name: 'impressions', kind: 'metric', type: 'number', label: 'Impressions', format: 'number' },
    { name: 'engagements', kind: 'metric', type: 'number', label: 'Engagements', format: 'number' },
  ];
  const barColumns: ResultColumn[] = [
    { name: 'platform', kind: 'dimension', type: 'string', label: 'Platform' },
    { name: 'revenue', kind: 'metric', type: 'number', label: 'Revenue', format: 'currency' },
  ];
  const lineRows = Array.from({ length: 90 }, (_, i) => ({
    time: `${day(i)} 00:00:00`,
    impressions: 10_000 + ((i * 7919) % 5000),
    engagements: 800 + ((i * 104_729) % 400),
  }));
  const barRows = Array.from({ length: 12 }, (_, i) => ({
    platform: `channel ${i + 1}`,
    revenue: 1000 + i * 317.5,
  }));
  return [0, 1, 2].flatMap((i) => [
    shellTile(`Trend ${i + 1}`, lineColumns, lineRows, 'line'),
    shellTile(`Breakdown ${i + 1}`, barColumns, barRows, 'bar'),
  ]);
}

function shellTile(
  title: string,
  columns: ResultColumn[],
  rows: ResultRow[],
  chart: ReportTile['chart'],
): ReportTile {
  return {
    title,
    chart,
    result: {
      columns,
      rows,
      truncated: false,
      timeRange: { from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z', timezone: 'UTC' },
      sql: '',
      params: {},
      plan: [],
      elapsedMs: 0,
    },
  };
}

function doc(tiles: ReportTile[]): ReportDocument {
  return {
    title: 'Benchmark report',
    period: '1 January – 31 March 2026',
    generatedAt: new Date('2026-04-01T08:00:00Z'),
    dataAsOf: new Date('2026-04-01T07:59:00Z'),
    filters: [],
    timezone: 'UTC',
    tiles,
  };
}

function nullSink(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}
