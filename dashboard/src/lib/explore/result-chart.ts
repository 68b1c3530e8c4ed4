import type { EChartsCoreOption } from 'echarts/core';
import type { ChartType } from './report-definition.ts';

/** A metric query result as POST /api/v1/metrics/query answers it. */
export interface MetricColumn {
  name: string;
  kind: 'time' | 'dimension' | 'metric' | string;
  type: string;
  label?: string;
  format?: string;
}
export type MetricRow = Record<string, string | number | null>;
export interface ChartColors {
  text: string;
  grid: string;
  palette: string[];
}

/**
 * The ECharts option for a metric result drawn as `chart`, or null for the chart types drawn as
 * HTML (table, KPI). Pure, tested without a DOM. Time series put time on x and one series per
 * metric (and per value of the first dimension); bars put the dimension values on x.
 */
export function metricChartOption(
  columns: MetricColumn[],
  rows: MetricRow[],
  chart: ChartType,
  colors: ChartColors,
): EChartsCoreOption | null {
  if (chart === 'table' || chart === 'kpi' || rows.length === 0) return null;
  const metrics = columns.filter((c) => c.kind === 'metric' && !c.name.includes('__'));
  const dims = columns.filter((c) => c.kind === 'dimension');
  const time = columns.find((c) => c.kind === 'time');
  if (metrics.length === 0) return null;
  const label = (c: MetricColumn) => c.label ?? c.name;
  const dimLabel = (r: MetricRow) => dims.map((d) => String(r[d.name] ?? '∅')).join(' · ') || 'All';

  if (chart === 'pie') {
    const m = metrics[0]!;
    // One slice per dimension value: a grain splits values over time, a pie adds them back up.
    const slices = new Map<string, number>();
    for (const r of rows) slices.set(dimLabel(r), (slices.get(dimLabel(r)) ?? 0) + Number(r[m.name] ?? 0));
    return {
      ...base(colors),
      tooltip: { trigger: 'item' },
      legend: { bottom: 0, textStyle: { color: colors.text }, type: 'scroll' },
      series: [
        {
          type: 'pie',
          name: label(m),
          radius: ['35%', '70%'],
          data: [...slices].map(([name, value]) => ({ name, value })),
          label: { color: colors.text },
        },
      ],
    };
  }

  const overTime = Boolean(time) && chart !== 'bar';
  const categories = overTime
    ? [...new Set(rows.map((r) => String(r[time!.name])))]
    : [...new Set(rows.map((r) => (time && dims.length === 0 ? String(r[time.name]) : dimLabel(r))))];
  const groups = overTime && dims.length > 0 ? [...new Set(rows.map(dimLabel))] : [null];
  const series = metrics.flatMap((m) =>
    groups.map((group) => {
      const values = new Map<string, number | null>();
      for (const r of rows) {
        if (group !== null && dimLabel(r) !== group) continue;
        const key = overTime
          ? String(r[time!.name])
          : time && dims.length === 0
            ? String(r[time.name])
            : dimLabel(r);
        values.set(key, r[m.name] === null ? null : (values.get(key) ?? 0) + Number(r[m.name]));
      }
      return {
        type: chart === 'line' || chart === 'area' ? 'line' : 'bar',
        name: group === null ? label(m) : metrics.length > 1 ? `${label(m)} · ${group}` : group,
        data: categories.map((c) => values.get(c) ?? null),
        ...(chart === 'area' ? { areaStyle: { opacity: 0.25 } } : {}),
        ...(chart === 'stacked_bar' ? { stack: label(m) } : {}),
        ...(chart === 'line' || chart === 'area'
          ? { showSymbol: categories.length < 40, smooth: false }
          : {}),
      };
    }),
  );
  return {
    ...base(colors),
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0, textStyle: { color: colors.text }, type: 'scroll' },
    grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: categories, axisLabel: { color: colors.text } },
    yAxis: {
      type: 'value',
      axisLabel: { color: colors.text },
      splitLine: { lineStyle: { color: colors.grid } },
    },
    series,
  };
}

/** ClickHouse types drawn as numbers (Nullable/LowCardinality wrappers included). */
export const isNumericType = (type: string) => /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/.test(type);

/**
 * A chart from SQL results: the first column on x, every numeric column after it a series.
 * Null when there is nothing to draw (no numeric column besides the first).
 */
export function sqlChartOption(
  columns: { name: string; type: string }[],
  rows: unknown[][],
  chart: 'line' | 'bar',
  colors: ChartColors,
): EChartsCoreOption | null {
  const numeric = columns.map((c, i) => ({ ...c, i })).filter((c, i) => i > 0 && isNumericType(c.type));
  if (columns.length < 2 || numeric.length === 0 || rows.length === 0) return null;
  return {
    ...base(colors),
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0, textStyle: { color: colors.text }, type: 'scroll' },
    grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: rows.map((r) => String(r[0])), axisLabel: { color: colors.text } },
    yAxis: {
      type: 'value',
      axisLabel: { color: colors.text },
      splitLine: { lineStyle: { color: colors.grid } },
    },
    series: numeric.map((c) => ({
      type: chart,
      name: c.name,
      data: rows.map((r) => (r[c.i] === null ? null : Number(r[c.i]))),
    })),
  };
}

const base = (colors: ChartColors) => ({
  aria: { enabled: true, decal: { show: false } },
  animationDuration: 250,
  color: colors.palette,
  textStyle: { color: colors.text },
});
