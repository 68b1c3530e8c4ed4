import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PulseEvent } from '@pulse/core';
import { loadMetricCatalog } from '@pulse/models';
import { insertEvents, type MetricQueryInput, runMetricQuery } from '@pulse/warehouse';
import { createScratchWarehouse, type ScratchWarehouse } from '@pulse/warehouse/testing/scratch-warehouse';
import { tableFromIPC } from 'apache-arrow';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../renderers/render-report.ts';
import type { ReportDocument } from '../renderers/report-document.ts';
import { createExportJobs, type ExportJobs, type ExportJobView } from './export-jobs.ts';

const workspace = 'ws_exports';
const owner = { workspaceId: workspace, userId: 'u_analyst' };
const users = 3000;
const hours = 20;
const start = Date.parse('2026-03-02T00:00:00Z');
let scratch: ScratchWarehouse;
let jobs: ExportJobs;
let root: string;

/** One track event per user per hour: `product_events` by user and hour gives users × hours rows. */
function events(): PulseEvent[] {
  const out: PulseEvent[] = [];
  for (let h = 0; h < hours; h++)
    for (let u = 0; u < users; u++)
      out.push({
        family: 'product',
        type: 'track',
        eventId: `e-${h}-${u}`,
        workspaceId: workspace,
        schemaVersion: 1,
        timestamp: new Date(start + h * 3_600_000 + u).toISOString(),
        userId: `user-${String(u).padStart(5, '0')}`,
        event: u % 7 === 0 ? 'Feature Used, "quoted"' : 'Opened',
      } as PulseEvent);
  return out;
}

const byUserAndHour = (limit = 10_000): MetricQueryInput => ({
  metrics: ['product_events'],
  dimensions: ['user_id'],
  grain: 'hour',
  timeRange: { from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' },
  orderBy: [{ field: 'user_id', direction: 'asc' }],
  limit,
});

async function settle(id: string, who = owner): Promise<ExportJobView> {
  for (;;) {
    const view = jobs.get(who, id);
    if (view.state !== 'queued' && view.state !== 'running') return view;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  scratch = await createScratchWarehouse();
  await insertEvents(scratch.warehouse, events(), { dedupToken: 'exports-fixture' });
  root = mkdtempSync(join(tmpdir(), 'pulse-exports-'));
  jobs = await createExportJobs({
    warehouse: scratch.warehouse,
    catalog: loadMetricCatalog().metrics,
    directory: join(root, 'exports'),
    maxRunning: 1,
  });
}, 120_000);

afterAll(async () => {
  await jobs?.close();
  await scratch?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('ad-hoc exports', () => {
  it('writes the engine’s own CSV with labelled headers, RFC 4180 quoting and CRLF', async () => {
    const job = jobs.start(owner, { title: 'Events by user', format: 'csv', query: byUserAndHour(100) });
    const done = await settle(job.id);
    expect(done).toMatchObject({ state: 'done', rowsWritten: 100, totalRows: 100, percent: 100 });
    const file = jobs.file(owner, job.id);
    expect(file.fileName).toBe('Events-by-user.csv');
    const text = readFileSync(file.path, 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('time,user_id,Events');
    expect(lines[1]).toBe('"2026-03-02 00:00:00","user-00000",1');
    expect(lines).toHaveLength(102); // header, 100 rows, and the empty string after the last CRLF
    expect(file.bytes).toBe(Buffer.byteLength(text));
  });

  it('writes Parquet from the engine that reads back with the same rows', async () => {
    const job = jobs.start(owner, {
      title: 'Events by user',
      format: 'parquet',
      query: byUserAndHour(),
      rowLimit: users * hours,
    });
    const done = await settle(job.id);
    expect(done.state).toBe('done');
    expect(done.rowsWritten).toBe(users * hours);
    const file = jobs.file(owner, job.id);
    expect(readFileSync(file.path).subarray(0, 4).toString()).toBe('PAR1');
    const back = await scratch.warehouse.client.query({
      query:
        "SELECT count() AS n, uniqExact(user_id) AS u, sum(product_events) AS e, toTypeName(user_id) AS t FROM file({p:String}, 'Parquet')",
      query_params: { p: file.path },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await back.json()).toEqual([{ n: users * hours, u: users, e: users * hours, t: 'String' }]);
  });

  it('streams 60,000 rows into a typed XLSX sheet', async () => {
    const job = jobs.start(owner, {
      title: 'Events by user',
      format: 'xlsx',
      query: byUserAndHour(),
      rowLimit: users * hours,
    });
    const done = await settle(job.id);
    expect(done).toMatchObject({ state: 'done', rowsWritten: users * hours, totalRows: users * hours });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(jobs.file(owner, job.id).path);
    const sheet = workbook.worksheets[1]!;
    expect(sheet.rowCount).toBe(users * hours + 1);
    expect(sheet.getRow(2).getCell(2).value).toBe('user-00000');
    expect(sheet.getRow(2).getCell(3).value).toBe(1);
    expect(sheet.getRow(2).getCell(1).value).toBeInstanceOf(Date);
  });

  it('writes Arrow with the comparison columns a previous-period query adds', async () => {
    const job = jobs.start(owner, {
      title: 'Events vs before',
      format: 'arrow',
      query: {
        metrics: ['product_events'],
        timeRange: { from: '2026-03-02T10:00:00Z', to: '2026-03-02T20:00:00Z' },
        compare: 'previous_period',
      },
    });
    const done = await settle(job.id);
    expect(done.state).toBe('done');
    const table = tableFromIPC(readFileSync(jobs.file(owner, job.id).path));
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'product_events',
      'product_events__previous',
      'product_events__change',
    ]);
    expect(table.get(0)?.toJSON()).toMatchObject({
      product_events: users * 10,
      product_events__previous: users * 10,
      product_events__change: 0,
    });
  });

  it('writes a PDF file', async () => {
    const job = jobs.start(owner, { title: 'Events PDF', format: 'pdf', query: byUserAndHour(50) });
    expect((await settle(job.id)).state).toBe('done');
    const pdf = readFileSync(jobs.file(owner, job.id).path);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('stops the query and the renderer when cancelled, and deletes the partial file', async () => {
    const job = jobs.start(owner, {
      title: 'Too big',
      format: 'xlsx',
      query: byUserAndHour(),
      rowLimit: users * hours,
    });
    while (jobs.get(owner, job.id).rowsWritten === 0) await new Promise((r) => setTimeout(r, 5));
    expect(jobs.cancel(owner, job.id).state).toBe('running');
    const done = await settle(job.id);
    expect(done.state).toBe('cancelled');
    expect(done.rowsWritten).toBeLessThan(users * hours);
    expect(existsSync(join(root, 'exports', `${job.id}.xlsx`))).toBe(false);
    expect(() => jobs.file(owner, job.id)).toThrow(/cancelled, not done/);
  });

  it('kills an engine-written file mid-query on cancel', async () => {
    const controller = new AbortController();
    const path = join(root, 'slow.parquet');
    const started = scratch.warehouse.raw.queryToFile({
      query: 'SELECT number, sleepEachRow(0.001) AS s FROM numbers(20000)',
      format: 'Parquet',
      path,
      settings: { max_block_size: 100 },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 300);
    const error = await started.then(
      () => undefined,
      (err: unknown) => err as { code: string; cause?: Error },
    );
    expect(error?.code).toBe('QUERY_CANCELLED');
    // The engine itself reports the kill: a query left to finish would have no engine error.
    expect(String(error?.cause?.message)).toMatch(/QUERY_WAS_CANCELLED/);
    const running = await scratch.warehouse.client.query({
      query:
        "SELECT count() AS n FROM system.processes WHERE query LIKE '%sleepEachRow(0.001)%' AND query NOT LIKE '%system.processes%'",
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await running.json()).toEqual([{ n: 0 }]);
  });

  it('keeps jobs private to the user who started them', async () => {
    const job = jobs.start(owner, { title: 'Mine', format: 'csv', query: byUserAndHour(5) });
    await settle(job.id);
    const other = { workspaceId: workspace, userId: 'u_other' };
    expect(() => jobs.get(other, job.id)).toThrow(expect.objectContaining({ code: 'EXPORT_NOT_FOUND' }));
    expect(() => jobs.get({ workspaceId: 'ws_other', userId: owner.userId }, job.id)).toThrow(
      expect.objectContaining({ code: 'EXPORT_NOT_FOUND' }),
    );
  });

  it('refuses invalid requests before anything runs, with a hint', () => {
    expect(() => jobs.start(owner, { title: 'x', format: 'docx', query: byUserAndHour() })).toThrow(
      expect.objectContaining({ code: 'EXPORT_INVALID' }),
    );
    expect(() =>
      jobs.start(owner, { title: 'x', format: 'xlsx', query: byUserAndHour(), rowLimit: 2_000_000 }),
    ).toThrow(expect.objectContaining({ code: 'EXPORT_INVALID', hint: expect.stringMatching(/CSV/) }));
    expect(() =>
      jobs.start(owner, { title: 'x', format: 'csv', query: { ...byUserAndHour(), metrics: ['nope'] } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_QUERY' }));
  });
});

describe('renderReport as Parquet', () => {
  const doc = (tiles: ReportDocument['tiles']): ReportDocument => ({
    title: 'Parquet tile',
    period: '2 March 2026',
    generatedAt: new Date(),
    dataAsOf: new Date(),
    filters: [],
    timezone: 'UTC',
    tiles,
  });

  it('has the engine rerun a tile’s statement into Parquet holding exactly the rows shown', async () => {
    const catalog = loadMetricCatalog().metrics;
    const result = await runMetricQuery(scratch.warehouse, catalog, byUserAndHour(250), workspace);
    expect(result.truncated).toBe(true);
    const path = join(root, 'tile.parquet');
    const out = (await import('node:fs')).createWriteStream(path);
    const rendered = await renderReport(doc([{ title: 'By user', result }]), 'parquet', out, {
      warehouse: scratch.warehouse,
    });
    expect(rendered).toMatchObject({ contentType: 'application/vnd.apache.parquet', extension: 'parquet' });
    const back = await scratch.warehouse.client.query({
      query: "SELECT * FROM file({p:String}, 'Parquet')",
      query_params: { p: path },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const rows = (await back.json()) as Record<string, unknown>[];
    expect(rows).toHaveLength(250);
    expect(rows[0]).toEqual(result.rows[0]);
    expect(rows[249]).toEqual(result.rows[249]);
  });

  it('refuses a comparison tile with a hint instead of dropping its columns', async () => {
    const catalog = loadMetricCatalog().metrics;
    const result = await runMetricQuery(
      scratch.warehouse,
      catalog,
      { ...byUserAndHour(5), compare: 'previous_period' },
      workspace,
    );
    const out = (await import('node:fs')).createWriteStream(join(root, 'refused.parquet'));
    await expect(
      renderReport(doc([{ title: 'x', result }]), 'parquet', out, { warehouse: scratch.warehouse }),
    ).rejects.toMatchObject({ code: 'REPORT_FORMAT_UNSUPPORTED', hint: expect.stringMatching(/Arrow/) });
  });
});
