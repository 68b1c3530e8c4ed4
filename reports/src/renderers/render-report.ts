import { PulseError } from '@pulse/core';
import { createByteSink } from './byte-sink.ts';
import { renderArrow } from './render-arrow.ts';
import { renderCsv } from './render-csv.ts';
import { renderParquet } from './render-parquet.ts';
import { renderPdf } from './render-pdf.ts';
import { renderXlsx } from './render-xlsx.ts';
import type { RenderedReport, RenderOptions, ReportDocument, ReportFormat } from './report-document.ts';

const formats: Record<ReportFormat, { contentType: string; extension: string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  xlsx: {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extension: 'xlsx',
  },
  pdf: { contentType: 'application/pdf', extension: 'pdf' },
  arrow: { contentType: 'application/vnd.apache.arrow.stream', extension: 'arrows' },
  parquet: { contentType: 'application/vnd.apache.parquet', extension: 'parquet' },
};

/**
 * Writes a report to `out` in one format and ends `out`. Resolves once everything was flushed,
 * with the byte count and the HTTP content type and file extension to send with it.
 */
export async function renderReport(
  doc: ReportDocument,
  format: ReportFormat,
  out: NodeJS.WritableStream,
  options: RenderOptions = {},
): Promise<RenderedReport> {
  const meta = formats[format];
  if (!meta)
    throw new PulseError('REPORT_FORMAT_UNKNOWN', `no renderer for report format "${String(format)}"`, {
      hint: `Ask for one of: ${Object.keys(formats).join(', ')}.`,
    });
  const sink = createByteSink(out);
  try {
    if (format === 'csv') await renderCsv(doc, sink, options.csvBom ?? false);
    else if (format === 'xlsx') await renderXlsx(doc, sink);
    else if (format === 'arrow') await renderArrow(doc, sink);
    else if (format === 'parquet') await renderParquet(doc, sink, options.warehouse);
    else await renderPdf(doc, sink);
    return { bytes: await sink.finish(), ...meta };
  } catch (err) {
    sink.stream.destroy();
    if (err instanceof PulseError) throw err;
    throw new PulseError('REPORT_RENDER_FAILED', `rendering the ${format} report "${doc.title}" failed`, {
      cause: err,
      context: { format, tiles: doc.tiles.length },
      hint: 'The report data may hold a value the renderer cannot write; the cause names it.',
    });
  }
}
