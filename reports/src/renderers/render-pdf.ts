import PDFDocument from 'pdfkit';
import type { ByteSink } from './byte-sink.ts';
import { formatInstant } from './format-value.ts';
import { BOLD_FONT, registerFonts } from './pdf-fonts.ts';
import { createLayout, type PdfLayout } from './pdf-layout.ts';
import { drawText, textWidth } from './pdf-text.ts';
import { drawTile } from './pdf-tile.ts';
import type { ReportDocument } from './report-document.ts';

const MARGIN = 48;
const FOOTER_SPACE = 16;

/**
 * A PDF made with pdfkit (no browser): a cover page with what the report covers, then each tile
 * as big numbers, a vector chart and/or a table, and "Page N of M" in every footer.
 */
export async function renderPdf(doc: ReportDocument, sink: ByteSink): Promise<void> {
  const pdf = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: doc.title,
      Subject: doc.period,
      Creator: 'Pulse',
      Producer: 'Pulse',
      CreationDate: doc.generatedAt,
    },
  });
  // The sink is ended by renderReport once everything is flushed, not by pdfkit.
  pdf.pipe(sink.stream, { end: false });
  const ended = new Promise<void>((resolve, reject) => {
    pdf.once('end', resolve);
    pdf.once('error', reject);
  });
  registerFonts(pdf);
  const layout = createLayout(pdf, MARGIN, FOOTER_SPACE);
  drawCover(layout, doc);
  for (const tile of doc.tiles) await drawTile(layout, tile, doc.timezone);
  drawFooters(layout, doc.title);
  pdf.end();
  await ended;
}

function drawCover(layout: PdfLayout, doc: ReportDocument): void {
  const { doc: pdf, left, width } = layout;
  layout.y = 180;
  // Long titles shrink to one line rather than wrap: the cover stays a fixed layout.
  const titleSize = Math.max(14, Math.min(26, (26 * width) / textWidth(pdf, doc.title, 26, BOLD_FONT)));
  drawText(pdf, doc.title, left, layout.y, { font: BOLD_FONT, size: titleSize, width });
  layout.y += 40;
  drawText(pdf, doc.period, left, layout.y, { size: 15, color: '#374151', width });
  layout.y += 48;
  const facts: [string, string][] = [
    ['Generated at', `${formatInstant(doc.generatedAt, doc.timezone)} (${doc.timezone})`],
    ['Data as of', `${formatInstant(doc.dataAsOf, doc.timezone)} (${doc.timezone})`],
    ['Time zone', doc.timezone],
  ];
  const filters = doc.filters.length > 0 ? doc.filters : ['none'];
  for (const [i, f] of filters.entries()) facts.push([i === 0 ? 'Filters' : '', f]);
  for (const [label, value] of facts) {
    drawText(pdf, label, left, layout.y, { font: BOLD_FONT, size: 11, color: '#6b7280', width: 110 });
    drawText(pdf, value, left + 120, layout.y, { size: 11, width: width - 120 });
    layout.y += 18;
  }
  layout.y += 18;
  drawText(pdf, 'Contents', left, layout.y, { font: BOLD_FONT, size: 11, color: '#6b7280' });
  layout.y += 18;
  for (const tile of doc.tiles) {
    layout.ensureSpace(18);
    drawText(pdf, `• ${tile.title}`, left + 10, layout.y, { size: 11, width: width - 10 });
    layout.y += 16;
  }
  layout.newPage();
}

/** Footers go on last, when the page count is known (the pages were buffered for that). */
function drawFooters(layout: PdfLayout, title: string): void {
  const { doc: pdf, left, width } = layout;
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    const y = pdf.page.height - MARGIN + 4;
    drawText(pdf, title, left, y, { size: 8, color: '#9ca3af', width: width / 2 });
    drawText(pdf, `Page ${i + 1} of ${range.count}`, left + width / 2, y, {
      size: 8,
      color: '#6b7280',
      width: width / 2,
      align: 'right',
    });
  }
}
