import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demoReport } from '../../test-fixtures/demo-report.ts';
import { renderReport } from '../renderers/render-report.ts';
import { parseCsv, previewRows } from './preview-rows.ts';

async function render(format: 'csv' | 'arrow'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await renderReport(
    demoReport,
    format,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
    { csvBom: true },
  );
  return Buffer.concat(chunks);
}

describe('previewRows', () => {
  it('reads the first rows of the CSV file back, quotes and line breaks included', async () => {
    const preview = previewRows(await render('csv'), 'csv', 5);
    expect(preview.columns[0]).toBe('tile');
    expect(preview.rows).toHaveLength(5);
    expect(preview.totalRows).toBeGreaterThan(5);
    const all = previewRows(await render('csv'), 'csv', 10_000).rows.flat();
    expect(all).toContain('Berlin, "Mitte"');
    expect(all).toContain('line one\nline two');
  });

  it('reads the first rows of the Arrow file back with typed values', async () => {
    const preview = previewRows(await render('arrow'), 'arrow', 3);
    expect(preview.columns).toContain('impressions');
    expect(preview.rows).toHaveLength(3);
    const at = preview.columns.indexOf('impressions');
    expect(typeof preview.rows[1]![at]).toBe('number');
  });

  it('parses CRLF and LF records and a last line without a break', () => {
    expect(parseCsv('a,b\r\n"x,1","say ""hi"""\nlast,')).toEqual([
      ['a', 'b'],
      ['x,1', 'say "hi"'],
      ['last', ''],
    ]);
  });
});
