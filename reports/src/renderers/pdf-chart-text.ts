import { BODY_FONT, type PdfDocument, textRuns } from './pdf-fonts.ts';

/**
 * svg-to-pdfkit picks one font per text element, and a PDF font has no fallback, so a label like
 * "Zürich — 東京" is split into <tspan>s that each name a font holding their glyphs.
 */
export function splitSvgTextByFont(doc: PdfDocument, svg: string): string {
  return svg.replace(
    /(<text\b[^>]*>)([^<]*)(<\/text>)/g,
    (whole, open: string, content: string, close: string) => {
      const text = decodeEntities(content);
      const runs = textRuns(doc, text, BODY_FONT);
      if (runs.every((r) => r.font === BODY_FONT)) return whole;
      const spans = runs
        .map((r) => `<tspan font-family="${r.font}">${encodeEntities(r.text)}</tspan>`)
        .join('');
      return `${open}${spans}${close}`;
    },
  );
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(Number.parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower]!;
  });
}

function encodeEntities(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
