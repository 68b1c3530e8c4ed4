import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as fontkit from 'fontkit';
import type PDFDocument from 'pdfkit';

/**
 * Fonts embedded in the PDF. DejaVu Sans covers Latin, Greek and Cyrillic; Noto Sans JP (as the
 * per-range files Fontsource ships) covers Japanese and most Chinese. PDF fonts have no
 * fallback, so text is cut into runs that each name a font that has their glyphs.
 */
export const BODY_FONT = 'Body';
export const BOLD_FONT = 'Bold';

export interface TextRun {
  font: string;
  text: string;
}

interface LoadedFont {
  name: string;
  buffer: Buffer;
  face: fontkit.Font;
}

const require = createRequire(import.meta.url);
const dejavuDir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const primary: Record<string, LoadedFont> = {
  [BODY_FONT]: loadFont(BODY_FONT, join(dejavuDir, 'DejaVuSans.ttf')),
  [BOLD_FONT]: loadFont(BOLD_FONT, join(dejavuDir, 'DejaVuSans-Bold.ttf')),
};
const fallbackRanges = readFallbackRanges();
const fallbackFonts = new Map<number, LoadedFont>();

/** Registers the fonts a document uses; fallback fonts are registered when a run needs them. */
export function registerFonts(doc: PDFKit.PDFDocument): void {
  for (const f of Object.values(primary)) doc.registerFont(f.name, f.buffer);
  doc.font(BODY_FONT);
}

/** Cuts text into runs of one font each, registering any fallback font the text needs. */
export function textRuns(doc: PDFKit.PDFDocument, text: string, font: string): TextRun[] {
  const base = primary[font] ?? primary[BODY_FONT]!;
  const runs: TextRun[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    const last = runs.at(-1);
    // Spaces and marks every font has stay in the current run, so "東京 大阪" is one run.
    if (last && cp <= 0x20) {
      last.text += char;
      continue;
    }
    const name = base.face.hasGlyphForCodePoint(cp) ? base.name : (fallbackFor(doc, cp) ?? base.name);
    if (last && last.font === name) last.text += char;
    else runs.push({ font: name, text: char });
  }
  return runs;
}

/** The name under which a fallback font with a glyph for `cp` is registered in `doc`. */
function fallbackFor(doc: PDFKit.PDFDocument, cp: number): string | undefined {
  const index = fallbackRanges.find((r) => r.ranges.some(([from, to]) => cp >= from && cp <= to))?.index;
  if (index === undefined) return undefined;
  let font = fallbackFonts.get(index);
  if (!font) {
    font = loadFont(`NotoSansJP-${index}`, fallbackRanges.find((r) => r.index === index)!.file);
    fallbackFonts.set(index, font);
  }
  if (!font.face.hasGlyphForCodePoint(cp)) return undefined;
  const registered = registeredFonts.get(doc) ?? new Set<string>();
  registeredFonts.set(doc, registered);
  if (!registered.has(font.name)) {
    doc.registerFont(font.name, font.buffer);
    registered.add(font.name);
  }
  return font.name;
}

const registeredFonts = new WeakMap<PDFKit.PDFDocument, Set<string>>();

function loadFont(name: string, file: string): LoadedFont {
  const buffer = readFileSync(file);
  const face = fontkit.create(buffer);
  if (!('hasGlyphForCodePoint' in face))
    throw new Error(`font file ${file} is a collection; the report renderer needs a single font`);
  return { name, buffer, face };
}

interface FallbackFile {
  index: number;
  file: string;
  ranges: [number, number][];
}

/** Reads Fontsource's CSS: each @font-face names a file and the unicode-range it covers. */
function readFallbackRanges(): FallbackFile[] {
  const css = require.resolve('@fontsource/noto-sans-jp/400.css');
  const text = readFileSync(css, 'utf8');
  const files: FallbackFile[] = [];
  const faces = text.split('@font-face').slice(1);
  for (const [index, face] of faces.entries()) {
    const woff = /url\(\.\/(files\/[^)]+-400-normal\.woff)\)/.exec(face)?.[1];
    const range = /unicode-range:\s*([^;]+);/.exec(face)?.[1];
    if (!woff || !range) continue;
    files.push({ index, file: join(dirname(css), woff), ranges: range.split(',').map(parseRange) });
  }
  return files;
}

function parseRange(part: string): [number, number] {
  const [from, to] = part.trim().replace(/^U\+/i, '').split('-');
  const start = Number.parseInt(from!.replaceAll('?', '0'), 16);
  const end = to ? Number.parseInt(to, 16) : Number.parseInt(from!.replaceAll('?', 'f'), 16);
  return [start, end];
}

export type PdfDocument = InstanceType<typeof PDFDocument>;
