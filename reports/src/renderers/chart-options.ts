import type { ResultColumn, ResultRow } from '@pulse/warehouse';
import { columnHeader, formatTimeLabel, formatValue } from './format-value.ts';

export type ChartKind = 'line' | 'bar';

/** Bars past this many categories stop being readable on a page; the table below has them all. */
export const MAX_BAR_CATEGORIES = 30;

/**
 * A pure function from rows to an ECharts option for the PDF: categories on x (time buckets or
 * dimension values), one series per metric; percent metrics get their own right-hand axis so a
 * rate is not flattened against counts.
 */
export function chartOption(
  kind: ChartKind,
  columns: ResultColumn[],
  rows: ResultRow[],
): Record<string, unknown> {
  const time = columns.find((c) => c.type === 'time');
  const dimensions = columns.filter((c) => c.kind === 'dimension' && c.name !== 'currency');
  const metrics = plottedMetrics(columns);
  const shown = kind === 'bar' ? rows.slice(0, MAX_BAR_CATEGORIES) : rows;
  const category = (row: ResultRow) =>
    time
      ? formatTimeLabel(String(row[time.name] ?? ''))
      : dimensions
          .map((d) => String(row[d.name] ?? '–'))
          .join(' / ')
          .replace(/\s+/g, ' ');
  const mixed = metrics.some((m) => m.format === 'percent') && metrics.some((m) => m.format !== 'percent');
  const axisFor = (m: ResultColumn) => (mixed && m.format === 'percent' ? 1 : 0);
  const axis = (format: ResultColumn | undefined) => ({
    type: 'value',
    axisLabel: {
      fontSize: 10,
      // Axis ticks are round numbers: no cents, no currency code.
      formatter: (v: number) =>
        format && format.format !== 'currency' ? formatValue(format, v) : axisNumber.format(v),
    },
    splitLine: { lineStyle: { color: '#e5e7eb' } },
  });
  return {
    animation: false,
    backgroundColor: '#ffffff',
    color: ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2'],
    textStyle: { fontFamily: 'sans-serif' },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    grid: { left: 64, right: mixed ? 64 : 24, top: 36, bottom: 56 },
    xAxis: {
      type: 'category',
      data: shown.map(category),
      axisLabel: time
        ? { fontSize: 10, hideOverlap: true }
        : {
            fontSize: 10,
            interval: 0,
            width: 340 / Math.max(1, shown.length),
            overflow: 'truncate',
            rotate: shown.length > 8 ? 30 : 0,
          },
    },
    yAxis: mixed
      ? [axis(metrics.find((m) => m.format !== 'percent')), axis(metrics.find((m) => m.format === 'percent'))]
      : [axis(metrics[0])],
    series: metrics.map((m) => ({
      name: columnHeader(m),
      type: kind,
      yAxisIndex: axisFor(m),
      showSymbol: shown.length <= 31,
      data: shown.map((r) => r[m.name] ?? null),
    })),
  };
}

const axisNumber = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/**
 * Metrics that can share a chart: those in the first metric's format on the left axis, and
 * percent metrics on a right axis. A duration next to an amount of money would share a scale
 * that means nothing, so it is left to the table.
 */
function plottedMetrics(columns: ResultColumn[]): ResultColumn[] {
  const metrics = columns.filter((c) => c.kind === 'metric' && !/__(previous|change)$/.test(c.name));
  const primary = metrics.find((m) => m.format !== 'percent')?.format ?? 'percent';
  return metrics.filter((m) => (m.format ?? 'number') === (primary ?? 'number') || m.format === 'percent');
}
