import type { ResultColumn, ResultRow } from '@pulse/warehouse';
import SVGtoPDF from 'svg-to-pdfkit';
import { type ChartKind, chartOption } from './chart-options.ts';
import { renderChartSvg } from './chart-svg.ts';
import { columnHeader, formatValue } from './format-value.ts';
import { splitSvgTextByFont } from './pdf-chart-text.ts';
import { BOLD_FONT, BODY_FONT } from './pdf-fonts.ts';
import type { PdfLayout } from './pdf-layout.ts';
import { drawTable } from './pdf-table.ts';
import { drawText } from './pdf-text.ts';
import { type ReportTile, tileRows } from './report-document.ts';

/** A PDF is for reading: past this many rows the table stops and says where the rest is. */
export const PDF_MAX_TABLE_ROWS = 1000;
const CHART_HEIGHT = 260;

export async function drawTile(layout: PdfLayout, tile: ReportTile, timezone: string): Promise<void> {
  const { rows, more } = await firstRows(tile, PDF_MAX_TABLE_ROWS);
  const columns = tile.result.columns;
  const kind = tile.chart ?? inferChart(columns, rows);
  layout.ensureSpace(kind === 'kpi' ? 120 : 140);
  drawText(layout.doc, tile.title, layout.left, layout.y, { font: BOLD_FONT, size: 16, width: layout.width });
  layout.y += 24;
  if (kind === 'kpi') {
    drawKpis(layout, columns, rows[0]);
    return;
  }
  if (kind === 'line' || kind === 'bar') drawChart(layout, kind, columns, rows, timezone);
  drawTable(layout, tile.title, columns, rows);
  if (more) {
    layout.ensureSpace(16);
    drawText(
      layout.doc,
      `Showing the first ${PDF_MAX_TABLE_ROWS.toLocaleString('en-US')} rows; the CSV and XLSX exports have all rows.`,
      layout.left,
      layout.y,
      { size: 9, color: '#6b7280', width: layout.width },
    );
    layout.y += 16;
  }
  layout.y += 16;
}

function inferChart(columns: ResultColumn[], rows: ResultRow[]): 'line' | 'bar' | 'table' | 'kpi' {
  if (columns.some((c) => c.type === 'time')) return 'line';
  if (!columns.some((c) => c.kind === 'dimension')) return rows.length <= 1 ? 'kpi' : 'table';
  return rows.length <= 30 ? 'bar' : 'table';
}

const KPI_COLUMNS = 3;
const KPI_HEIGHT = 78;

/** One box per metric: the label, the value in the metric's format, and the change if compared. */
function drawKpis(layout: PdfLayout, columns: ResultColumn[], row: ResultRow | undefined): void {
  const { doc } = layout;
  const metrics = columns.filter((c) => c.kind === 'metric' && !/__(previous|change)$/.test(c.name));
  const boxWidth = (layout.width - (KPI_COLUMNS - 1) * 12) / KPI_COLUMNS;
  for (const [i, metric] of metrics.entries()) {
    if (i % KPI_COLUMNS === 0) layout.ensureSpace(KPI_HEIGHT);
    const x = layout.left + (i % KPI_COLUMNS) * (boxWidth + 12);
    doc
      .roundedRect(x, layout.y, boxWidth, KPI_HEIGHT - 10, 4)
      .lineWidth(0.75)
      .stroke('#d1d5db');
    drawText(doc, columnHeader(metric), x + 10, layout.y + 10, {
      size: 9,
      color: '#6b7280',
      width: boxWidth - 20,
    });
    const value = formatValue(metric, row?.[metric.name] ?? null, row);
    drawText(doc, value, x + 10, layout.y + 26, { font: BOLD_FONT, size: 22, width: boxWidth - 20 });
    const change = row?.[`${metric.name}__change`];
    if (typeof change === 'number') {
      const text = `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}% vs previous period`;
      drawText(doc, text, x + 10, layout.y + 52, { size: 8, color: change >= 0 ? '#15803d' : '#b91c1c' });
    }
    if (i % KPI_COLUMNS === KPI_COLUMNS - 1 || i === metrics.length - 1) layout.y += KPI_HEIGHT;
  }
  layout.y += 8;
}

function drawChart(
  layout: PdfLayout,
  kind: ChartKind,
  columns: ResultColumn[],
  rows: ResultRow[],
  timezone: string,
) {
  if (rows.length === 0) return;
  layout.ensureSpace(CHART_HEIGHT + 24);
  const width = Math.round(layout.width);
  const svg = renderChartSvg(chartOption(kind, columns, rows), width, CHART_HEIGHT);
  SVGtoPDF(layout.doc, splitSvgTextByFont(layout.doc, svg), layout.left, layout.y, {
    width,
    height: CHART_HEIGHT,
    assumePt: true,
    fontCallback: (family: string, bold: boolean) =>
      family.startsWith('NotoSansJP-') ? family : bold ? BOLD_FONT : BODY_FONT,
  });
  layout.y += CHART_HEIGHT + 4;
  if (columns.some((c) => c.type === 'time')) {
    drawText(layout.doc, `Times in ${timezone}`, layout.left, layout.y, { size: 8, color: '#6b7280' });
    layout.y += 14;
  }
}

async function firstRows(tile: ReportTile, limit: number): Promise<{ rows: ResultRow[]; more: boolean }> {
  const rows: ResultRow[] = [];
  for await (const row of tileRows(tile)) {
    if (rows.length === limit) return { rows, more: true };
    rows.push(row);
  }
  return { rows, more: false };
}
