import type { ResultColumn, ResultRow } from '@pulse/warehouse';
import { columnHeader, formatValue } from './format-value.ts';
import { BOLD_FONT } from './pdf-fonts.ts';
import type { PdfLayout } from './pdf-layout.ts';
import { drawText, textWidth } from './pdf-text.ts';

const SIZE = 8.5;
const ROW_HEIGHT = 15;
const HEADER_HEIGHT = 18;
const PADDING = 4;
const MIN_COLUMN = 36;

/**
 * A table that flows over pages: when a row does not fit, a new page starts with the tile's
 * title marked "(continued)" and the header row again, so every page can be read alone.
 */
export function drawTable(
  layout: PdfLayout,
  title: string,
  columns: ResultColumn[],
  rows: ResultRow[],
): void {
  const { doc } = layout;
  const headers = columns.map(columnHeader);
  const cells = rows.map((row) => columns.map((c) => formatValue(c, row[c.name] ?? null, row)));
  const widths = columnWidths(layout, headers, cells);
  const drawHeader = () => {
    doc.rect(layout.left, layout.y, layout.width, HEADER_HEIGHT).fill('#f3f4f6');
    let x = layout.left;
    for (const [i, header] of headers.entries()) {
      const align = columns[i]!.type === 'number' ? 'right' : 'left';
      drawText(doc, header, x + PADDING, layout.y + 5, {
        font: BOLD_FONT,
        size: SIZE,
        width: widths[i]! - 2 * PADDING,
        align,
      });
      x += widths[i]!;
    }
    layout.y += HEADER_HEIGHT;
  };
  layout.ensureSpace(HEADER_HEIGHT + ROW_HEIGHT * Math.min(3, Math.max(1, rows.length)));
  drawHeader();
  for (const [r, row] of cells.entries()) {
    if (layout.y + ROW_HEIGHT > layout.bottom) {
      layout.newPage();
      drawText(doc, `${title} (continued)`, layout.left, layout.y, { font: BOLD_FONT, size: 11 });
      layout.y += 20;
      drawHeader();
    }
    if (r % 2 === 1) doc.rect(layout.left, layout.y, layout.width, ROW_HEIGHT).fill('#fafafa');
    let x = layout.left;
    for (const [i, text] of row.entries()) {
      const align = columns[i]!.type === 'number' ? 'right' : 'left';
      drawText(doc, text, x + PADDING, layout.y + 4, { size: SIZE, width: widths[i]! - 2 * PADDING, align });
      x += widths[i]!;
    }
    layout.y += ROW_HEIGHT;
  }
  doc
    .moveTo(layout.left, layout.y)
    .lineTo(layout.left + layout.width, layout.y)
    .lineWidth(0.5)
    .stroke('#d1d5db');
  layout.y += 8;
}

/** Natural widths (widest of header and cells), then scaled to fill the page width exactly. */
function columnWidths(layout: PdfLayout, headers: string[], cells: string[][]): number[] {
  const natural = headers.map((h, i) => {
    let w = textWidth(layout.doc, h, SIZE, BOLD_FONT);
    for (const row of cells.slice(0, 300)) w = Math.max(w, textWidth(layout.doc, row[i]!, SIZE));
    return Math.min(w + 2 * PADDING, 220);
  });
  const total = natural.reduce((a, b) => a + b, 0) || 1;
  const scaled = natural.map((w) => Math.max(MIN_COLUMN, (w / total) * layout.width));
  const scaledTotal = scaled.reduce((a, b) => a + b, 0);
  return scaled.map((w) => (w / scaledTotal) * layout.width);
}
