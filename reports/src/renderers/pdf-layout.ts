import type { PdfDocument } from './pdf-fonts.ts';

/** Where the next thing goes on the current page, and how to start a new one. */
export interface PdfLayout {
  doc: PdfDocument;
  left: number;
  width: number;
  top: number;
  bottom: number;
  y: number;
  newPage(): void;
  /** Starts a new page unless `height` still fits on this one. */
  ensureSpace(height: number): void;
}

export function createLayout(doc: PdfDocument, margin: number, footerSpace: number): PdfLayout {
  const layout: PdfLayout = {
    doc,
    left: margin,
    width: doc.page.width - 2 * margin,
    top: margin,
    bottom: doc.page.height - margin - footerSpace,
    y: margin,
    newPage() {
      doc.addPage();
      layout.y = layout.top;
    },
    ensureSpace(height) {
      if (layout.y + height > layout.bottom) layout.newPage();
    },
  };
  return layout;
}
