import { BODY_FONT, type PdfDocument, textRuns } from './pdf-fonts.ts';

export interface TextStyle {
  font?: string;
  size: number;
  color?: string;
  /** Cut with "…" past this width. */
  width?: number;
  align?: 'left' | 'right' | 'center';
}

/**
 * Draws one line of text at (x, y), switching fonts inside the line where a glyph needs
 * another font. Never wraps and never adds a page: layout is the caller's.
 */
export function drawText(doc: PdfDocument, text: string, x: number, y: number, style: TextStyle): void {
  const font = style.font ?? BODY_FONT;
  let runs = textRuns(doc, text.replace(/\s+/g, ' '), font);
  let width = runsWidth(doc, runs, style.size);
  if (style.width !== undefined && width > style.width) {
    runs = truncate(doc, runs, style.size, style.width, font);
    width = runsWidth(doc, runs, style.size);
  }
  const box = style.width ?? width;
  let cx = style.align === 'right' ? x + box - width : style.align === 'center' ? x + (box - width) / 2 : x;
  doc.fillColor(style.color ?? '#111827');
  for (const run of runs) {
    doc.font(run.font).fontSize(style.size);
    doc.text(run.text, cx, y, { lineBreak: false });
    cx += doc.widthOfString(run.text);
  }
}

export function textWidth(doc: PdfDocument, text: string, size: number, font = BODY_FONT): number {
  return runsWidth(doc, textRuns(doc, text.replace(/\s+/g, ' '), font), size);
}

function runsWidth(doc: PdfDocument, runs: { font: string; text: string }[], size: number): number {
  let width = 0;
  for (const run of runs) width += doc.font(run.font).fontSize(size).widthOfString(run.text);
  return width;
}

function truncate(
  doc: PdfDocument,
  runs: { font: string; text: string }[],
  size: number,
  max: number,
  font: string,
) {
  const chars = [...runs.map((r) => r.text).join('')];
  let lo = 0;
  let hi = chars.length;
  // Binary search on the number of characters that fit with the ellipsis.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (runsWidth(doc, textRuns(doc, `${chars.slice(0, mid).join('')}…`, font), size) <= max) lo = mid;
    else hi = mid - 1;
  }
  return textRuns(doc, `${chars.slice(0, lo).join('').trimEnd()}…`, font);
}
