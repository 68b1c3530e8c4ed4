import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { tableFromIPC } from 'apache-arrow';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { bigTile, demoReport } from '../../test-fixtures/demo-report.ts';
import { renderReport } from './render-report.ts';
import type { ReportDocument, ReportFormat } from './report-document.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const golden = new URL('../../test-fixtures/golden/', import.meta.url);
const artifacts = new URL('../../../test-artifacts/reports/', import.meta.url);
// Set PULSE_UPDATE_GOLDEN=1 to rewrite the golden files, then review the diff before committing.
const updateGolden = process.env.PULSE_UPDATE_GOLDEN === '1';

async function render(doc: ReportDocument, format: ReportFormat, options = {}) {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const meta = await renderReport(doc, format, out, options);
  return { ...meta, body: Buffer.concat(chunks) };
}

function matchGolden(name: string, actual: string): void {
  const file = new URL(name, golden);
  if (updateGolden) writeFileSync(file, actual);
  const expected = readFileSync(file, 'utf8');
  // JSON goldens are compared as values: the formatter may re-indent the file.
  if (name.endsWith('.json')) expect(JSON.parse(actual)).toEqual(JSON.parse(expected));
  else expect(actual).toBe(expected);
}

describe('CSV', () => {
  it('writes the demo report byte for byte as the golden file', async () => {
    const { body, bytes, contentType, extension } = await render(demoReport, 'csv');
    expect(bytes).toBe(body.length);
    expect([contentType, extension]).toEqual(['text/csv; charset=utf-8', 'csv']);
    matchGolden('demo.csv', body.toString('utf8'));
  });

  it('quotes comma, quote and newline fields and ends lines with CRLF', async () => {
    const text = (await render(demoReport, 'csv')).body.toString('utf8');
    expect(text).toContain('"Berlin, ""Mitte"""');
    expect(text).toContain('"line one\nline two"');
    expect(text).toContain('Zürich — 東京');
    expect(text.split('\r\n')[0]).toMatch(/^tile,Day,/);
    expect(text.replaceAll('\r\n', '').replace('line one\nline two', '')).not.toContain('\n');
  });

  it('prefixes a UTF-8 BOM only when asked', async () => {
    const plain = (await render(demoReport, 'csv')).body;
    const bom = (await render(demoReport, 'csv', { csvBom: true })).body;
    expect([...plain.subarray(0, 3)]).not.toEqual([0xef, 0xbb, 0xbf]);
    expect([...bom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bom.subarray(3).equals(plain)).toBe(true);
  });

  it('has no tile column when the report has one tile', async () => {
    const one = { ...demoReport, tiles: [demoReport.tiles[2]!] };
    const text = (await render(one, 'csv')).body.toString('utf8');
    expect(text.split('\r\n')[0]).toBe('Platform,City,Currency,Revenue,Avg watch time,Engagement rate');
  });
});

describe('XLSX', () => {
  async function load() {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await render(demoReport, 'xlsx')).body as unknown as ArrayBuffer);
    return workbook;
  }

  it('has a Summary sheet then one safely named sheet per tile', async () => {
    const workbook = await load();
    expect(workbook.worksheets.map((s) => s.name)).toEqual([
      'Summary',
      'Headline numbers',
      'Daily engagement',
      'Revenue by platform',
      'Top posts all platforms details',
    ]);
    const summary = workbook.getWorksheet('Summary')!;
    expect(summary.getCell('B1').value).toBe(demoReport.title);
    expect(summary.getCell('B2').value).toBe('1–14 March 2026');
    expect(summary.getCell('A3').value).toBe('Generated at (Europe/Zurich)');
    expect(summary.getCell('B3').value).toEqual(new Date('2026-03-15T09:30:00.000Z'));
  });

  it('writes typed cells with formats, a bold frozen header and a filter', async () => {
    const sheet = (await load()).getWorksheet('Daily engagement')!;
    expect(sheet.getCell('A1').value).toBe('Day (Europe/Zurich)');
    expect(sheet.getCell('A1').font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBe('A1:D1');
    expect(sheet.getCell('A2').value).toEqual(new Date('2026-03-01T00:00:00.000Z'));
    expect(sheet.getCell('A2').numFmt).toBe('yyyy-mm-dd');
    expect(sheet.getCell('B2').value).toBe(80000);
    expect(sheet.getCell('D2').value).toBe(0.045);
    expect(sheet.getCell('D2').numFmt).toBe('0.0%');
    const platforms = (await load()).getWorksheet('Revenue by platform')!;
    expect(platforms.getCell('B2').value).toBe('Zürich — 東京');
    expect(platforms.getCell('C2').value).toBe('CHF');
    expect(platforms.getCell('D2').value).toBe(18250.75);
    expect(platforms.getCell('D2').numFmt).toBe('#,##0.00');
    expect(platforms.getCell('E4').numFmt).toBe('[h]:mm:ss');
    // exceljs reads any cell with a time format back as a Date from 1899-12-30.
    expect(platforms.getCell('E4').value).toEqual(new Date(Date.UTC(1899, 11, 30, 1, 2, 5)));
    expect(platforms.getCell('B5').value).toBeNull();
  });

  it('escapes markup, keeps edge spaces and drops characters XML cannot hold', async () => {
    const tile = {
      ...demoReport.tiles[3]!,
      title: 'Text',
      result: {
        ...demoReport.tiles[3]!.result,
        columns: [{ name: 'post', kind: 'dimension' as const, type: 'string' as const, label: 'Post' }],
        rows: [
          { post: '<b>R&D</b> "quoted"' },
          { post: '  padded ' },
          { post: 'bell\u0007 tab\t' },
          { post: 'x'.repeat(40_000) },
        ],
      },
    };
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(
      (await render({ ...demoReport, tiles: [tile] }, 'xlsx')).body as unknown as ArrayBuffer,
    );
    const sheet = workbook.getWorksheet('Text')!;
    expect(sheet.getCell('A2').value).toBe('<b>R&D</b> "quoted"');
    expect(sheet.getCell('A3').value).toBe('  padded ');
    expect(sheet.getCell('A4').value).toBe('bell tab\t');
    // Excel's limit per cell; a longer text would make Excel "repair" the file.
    expect(sheet.getCell('A5').value).toBe('x'.repeat(32_767));
  });

  it('matches the golden dump of every cell', async () => {
    const dump = (await load()).worksheets.map((sheet) => {
      const rows: unknown[] = [];
      sheet.eachRow((row, r) =>
        row.eachCell((cell, c) => {
          const v = cell.value;
          const type = v instanceof Date ? 'date' : typeof v;
          rows.push([r, c, type, v instanceof Date ? v.toISOString() : v, cell.numFmt ?? null]);
        }),
      );
      return {
        name: sheet.name,
        widths: sheet.columns.map((c) => c.width ?? null),
        views: sheet.views,
        autoFilter: sheet.autoFilter ?? null,
        cells: rows,
      };
    });
    matchGolden('demo.xlsx.json', `${JSON.stringify(dump, null, 1)}\n`);
  });
});

describe('PDF', () => {
  const pdfText = async () => {
    const { body } = await render(demoReport, 'pdf');
    const dir = mkdtempSync(join(tmpdir(), 'pulse-pdf-'));
    const file = join(dir, 'demo.pdf');
    writeFileSync(file, body);
    return { body, file, text: execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }) };
  };

  it('has the cover, formatted KPIs, repeated table headers and page numbers', async () => {
    const { body, text } = await pdfText();
    expect(body.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = text.split('\f').filter((p) => p.trim());
    expect(pages[0]).toContain('Social performance — March 2026');
    expect(pages[0]).toContain('1–14 March 2026');
    expect(pages[0]).toContain('2026-03-15 09:30 (Europe/Zurich)');
    expect(pages[0]).toContain('platform in (instagram, tiktok, youtube, linkedin)');
    expect(text).toContain('1,284,300');
    expect(text).toContain('5.3%');
    expect(text).toContain('48,210.50');
    expect(text).toContain('1h 2m 5s');
    expect(text).toContain('+12.4% vs previous period');
    expect(text).toContain('Zürich — 東京');
    expect(pages[0]).toMatch(new RegExp(`Page 1 of ${pages.length}`));
    const continued = pages.filter((p) => p.includes('Top posts [all platforms]: details (continued)'));
    expect(continued.length).toBeGreaterThanOrEqual(2);
    for (const page of continued) expect(page).toMatch(/Post\s+Platform\s+Impressions\s+Engagement rate/);
    expect(pages.at(-1)).toContain('Post 120');
  });

  it('matches the golden text and leaves page images for a person to look at', async () => {
    const { text, file } = await pdfText();
    const normalised = text
      .split('\n')
      .map((line) => line.replace(/\s+/g, ' ').trim())
      .filter(Boolean)
      .join('\n');
    matchGolden('demo.pdf.txt', `${normalised}\n`);
    mkdirSync(artifacts, { recursive: true });
    execFileSync('pdftoppm', ['-png', '-r', '50', file, join(artifacts.pathname, 'demo-page')]);
  });

  it('embeds its fonts', async () => {
    const { file } = await pdfText();
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
    expect(fonts).toContain('DejaVuSans');
    expect(fonts).toContain('NotoSansJP');
    expect(fonts).not.toMatch(/Helvetica/);
    for (const line of fonts.split('\n').slice(2).filter(Boolean))
      expect(line).toMatch(/\byes\s+yes\s+yes\b/);
  });
});

describe('Arrow', () => {
  it('writes one typed record batch per tile with the report in the schema metadata', async () => {
    const { body, extension } = await render(demoReport, 'arrow');
    expect(extension).toBe('arrows');
    const table = tableFromIPC(body);
    expect(table.batches.length).toBe(4);
    expect(table.numRows).toBe(1 + 14 + 4 + 120);
    expect(table.schema.metadata.get('title')).toBe(demoReport.title);
    expect(table.schema.metadata.get('timezone')).toBe('Europe/Zurich');
    const type = (name: string) => String(table.schema.fields.find((f) => f.name === name)?.type);
    expect(type('tile')).toBe('Utf8');
    expect(type('time')).toBe('Timestamp<MILLISECOND, Europe/Zurich>');
    expect(type('impressions')).toBe('Float64');
    expect(type('city')).toBe('Utf8');
    expect(table.schema.fields.find((f) => f.name === 'engagement_rate')?.metadata.get('format')).toBe(
      'percent',
    );
    const rows = table.toArray().map((r) => r.toJSON());
    expect(rows[1]).toMatchObject({ tile: 'Daily engagement', impressions: 80000, engagement_rate: 0.045 });
    // Midnight in Zürich on 1 March is 23:00 UTC the day before.
    expect(rows[1]!.time).toBe(Date.parse('2026-02-28T23:00:00Z'));
    expect(rows[15]).toMatchObject({ city: 'Zürich — 東京', currency: 'CHF', revenue: 18250.75 });
    expect(rows[18]!.city).toBeNull();
  });
});

/** The engine's garbage collector, callable without starting Node with --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('memory', () => {
  for (const format of ['csv', 'xlsx'] as const)
    it(`streams a 200k-row tile to ${format} without holding it in memory`, {
      timeout: 120_000,
    }, async () => {
      const doc = { ...demoReport, tiles: [bigTile(200_000)] };
      let counted = 0;
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          counted += chunk.length;
          setImmediate(cb);
        },
      });
      // What the renderer holds, not garbage V8 has yet to collect (which grows with machine load):
      // each sample follows a full collection. Buffers count too: output waiting in a stream that
      // ignores backpressure lives outside the heap (exceljs's writer piled up 40 MB that way here).
      const gc = collector();
      const held = () => {
        gc();
        const { heapUsed, arrayBuffers } = process.memoryUsage();
        return heapUsed + arrayBuffers;
      };
      const before = held();
      let peak = before;
      const timer = setInterval(() => {
        peak = Math.max(peak, held());
      }, 100);
      const { bytes } = await renderReport(doc, format, sink);
      clearInterval(timer);
      expect(bytes).toBe(counted);
      expect(bytes).toBeGreaterThan(format === 'csv' ? 7_000_000 : 2_000_000);
      console.log(
        `${format}: ${bytes} bytes, heap and buffer growth ${Math.round((peak - before) / 1e6)} MB`,
      );
      expect(peak - before).toBeLessThan(24 * 1024 * 1024);
    });
});
