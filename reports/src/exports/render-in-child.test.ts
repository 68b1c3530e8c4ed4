import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { bigTile } from '../../test-fixtures/demo-report.ts';
import { type RenderJob, renderInChild } from './render-in-child.ts';

const dir = mkdtempSync(join(tmpdir(), 'pulse-render-child-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tile = bigTile(1);
const job = (path: string, format: RenderJob['format'] = 'xlsx'): RenderJob => ({
  format,
  path,
  csvBom: false,
  document: {
    title: 'Child',
    period: 'March',
    generatedAt: '2026-03-15T09:30:00.000Z',
    dataAsOf: '2026-03-15T09:00:00.000Z',
    filters: [],
    timezone: 'UTC',
  },
  tile: { title: 'Rows', result: { ...tile.result, rows: [] }, chart: 'table' },
});

/** JSONEachRow bytes, cut at odd places as a pipe may cut them. */
async function* lines(count: number, cut = 777): AsyncGenerator<Uint8Array> {
  const rows = bigTile(count).rowsIterable as Iterable<Record<string, unknown>>;
  let text = '';
  for (const row of rows) text += `${JSON.stringify(row)}\n`;
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += cut) yield bytes.subarray(i, i + cut);
}

describe('rendering an export in a child process', () => {
  it('writes the file from streamed rows and reports the renderer’s own peak memory', async () => {
    const path = join(dir, 'rows.xlsx');
    const progress: number[] = [];
    const done = await renderInChild({
      job: job(path),
      rows: lines(12_000),
      onProgress: (p) => progress.push(p.rows),
    });
    expect(done.rows).toBe(12_000);
    expect(progress.length).toBeGreaterThan(0);
    expect(done.peakRssBytes).toBeGreaterThan(20 * 2 ** 20);
    expect(done.peakRssBytes).not.toBe(process.resourceUsage().maxRSS * 1024);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(readFileSync(path) as unknown as ArrayBuffer);
    expect(workbook.getWorksheet('Rows')!.rowCount).toBe(12_001);
  });

  it('fails with the renderer’s error when a row is not JSON', async () => {
    async function* broken() {
      yield new TextEncoder().encode('{"post":"a"}\n{not json}\n');
    }
    await expect(renderInChild({ job: job(join(dir, 'broken.xlsx')), rows: broken() })).rejects.toMatchObject(
      {
        code: 'REPORT_RENDER_FAILED',
      },
    );
  });

  it('kills the renderer when the export is cancelled', async () => {
    const abort = new AbortController();
    async function* endless() {
      const row = new TextEncoder().encode(
        `${JSON.stringify({ time: '2026-03-01 00:00:00', impressions: 1, engagements: 1, engagement_rate: 0.1 })}\n`,
      );
      for (let i = 0; ; i++) {
        if (i === 2000) abort.abort(new Error('cancelled by the test'));
        yield row;
        await new Promise((r) => setImmediate(r));
      }
    }
    await expect(
      renderInChild({ job: job(join(dir, 'cancelled.csv'), 'csv'), rows: endless(), signal: abort.signal }),
    ).rejects.toThrow('cancelled by the test');
  });

  it('stops feeding a renderer that finished early', async () => {
    const path = join(dir, 'early.pdf');
    const done = await renderInChild({ job: job(path, 'pdf'), rows: lines(30_000) });
    expect(existsSync(path)).toBe(true);
    expect(done.rows).toBeLessThan(30_000);
  });
});
