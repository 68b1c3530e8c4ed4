import { PulseError } from '@pulse/core/errors/pulse-error';
import { createByteSink } from './byte-sink.ts';
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
    // Each renderer is loaded when first asked for: the PDF one brings ECharts and ~40 MB of
    // fonts, which a process that only writes spreadsheets (the export renderer) never needs.
    if (format === 'csv')
      await (await import('./render-csv.ts')).renderCsv(doc, sink, options.csvBom ?? false);
    else if (format === 'xlsx') await (await import('./render-xlsx.ts')).renderXlsx(doc, sink);
    else if (format === 'arrow') await (await import('./render-arrow.ts')).renderArrow(doc, sink);
    else if (format === 'parquet')
      await (await import('./render-parquet.ts')).renderParquet(doc, sink, options.warehouse);
    else await (await import('./render-pdf.ts')).renderPdf(doc, sink);
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
