import { formatMetric } from '../format/format-metric.ts';
import type { Tile, TileResult } from './types.ts';

export interface ChartTheme {
  text: string;
  grid: string;
  palette: string[];
}

type Row = Record<string, string | number | null>;
type Option = Record<string, unknown>;

/**
 * The ECharts option of a chart tile, a pure function of the tile, its data and the theme (tested
 * without a DOM). `aria` is on so the SVG carries a description screen readers announce.
 */
export function tileChartOption(
  tile: Tile,
  result: TileResult,
  theme: ChartTheme,
  locale?: string,
): Option | null {
  const m = result.metric;
  const base = {
    aria: { enabled: true, label: { description: `${tile.title}.` } },
    color: theme.palette,
    textStyle: { color: theme.text },
    tooltip: { trigger: tile.type === 'pie' || tile.type === 'funnel' ? 'item' : 'axis' },
    animation: false,
  };
  if (tile.type === 'funnel') {
    const steps = result.funnel
      ? result.funnel.map((s) => ({ name: s.step, value: s.users }))
      : m
        ? m.columns
            .filter((c) => c.kind === 'metric')
            .map((c) => ({ name: c.label ?? c.name, value: Number(m.rows[0]?.[c.name] ?? 0) }))
        : [];
    return {
      ...base,
      series: [
        {
          type: 'funnel',
          sort: 'none',
          left: 8,
          right: 8,
          top: 8,
          bottom: 8,
          label: { position: 'inside', color: '#fff', formatter: '{b}: {c}' },
          data: steps,
        },
      ],
    };
  }
  if (!m) return null;
  const metrics = m.columns.filter((c) => c.kind === 'metric' && !c.name.includes('__'));
  const dims = m.columns.filter((c) => c.kind === 'dimension').map((c) => c.name);
  const rows = m.rows as Row[];
  const first = metrics[0];
  if (!first) return null;
  const fmt = (v: unknown) => formatMetric(v, first.format, { locale, compact: true });
  const axis = {
    axisLabel: { color: theme.text },
    splitLine: { lineStyle: { color: theme.grid } },
    axisLine: { lineStyle: { color: theme.grid } },
  };
  const grid = { left: 8, right: 16, top: 28, bottom: 8, containLabel: true };
  if (tile.type === 'pie') {
    const dim = dims[0] ?? '';
    return {
      ...base,
      legend: { bottom: 0, textStyle: { color: theme.text }, type: 'scroll' },
      series: [
        {
          type: 'pie',
          radius: tile.options.donut ? ['45%', '70%'] : '70%',
          center: ['50%', '45%'],
          label: { color: theme.text },
          data: rows.map((r) => ({ name: String(r[dim]), value: r[first.name] })),
        },
      ],
    };
  }
  if (tile.type === 'heatmap') {
    const dim = dims[0] ?? '';
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const values = rows.map((r) => Number(r[first.name] ?? 0));
    return {
      ...base,
      tooltip: { position: 'top' },
      grid: { ...grid, bottom: 40 },
      xAxis: {
        type: 'category',
        data: Array.from({ length: 24 }, (_, h) => `${h}`),
        ...axis,
      },
      yAxis: { type: 'category', data: days, ...axis },
      visualMap: {
        min: 0,
        max: Math.max(1, ...values),
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        textStyle: { color: theme.text },
        inRange: { color: [theme.grid, theme.palette[0] ?? '#6d5dfc'] },
      },
      series: [
        {
          type: 'heatmap',
          data: rows.map((r) => {
            const how = Number(r[dim]);
            return [how % 24, Math.floor(how / 24), r[first.name]];
          }),
        },
      ],
    };
  }
  if (tile.type === 'timeseries' || tile.type === 'stacked_bar') {
    const times = [...new Set(rows.map((r) => String(r.time)))].sort();
    const dim = dims[0];
    const series = dim
      ? [...new Set(rows.map((r) => String(r[dim])))].map((value) => ({
          name: value,
          data: times.map(
            (t) => rows.find((r) => String(r.time) === t && String(r[dim]) === value)?.[first.name] ?? 0,
          ),
        }))
      : metrics.map((c) => ({
          name: c.label ?? c.name,
          data: times.map((t) => rows.find((r) => String(r.time) === t)?.[c.name] ?? null),
        }));
    const stacked = tile.type === 'stacked_bar';
    return {
      ...base,
      legend: { top: 0, textStyle: { color: theme.text }, type: 'scroll' },
      grid,
      xAxis: { type: 'category', data: times.map((t) => t.slice(0, 16).replace('T', ' ')), ...axis },
      yAxis: { type: 'value', ...axis, axisLabel: { color: theme.text, formatter: fmt } },
      series: series.map((s) => ({
        ...s,
        type: stacked ? 'bar' : 'line',
        ...(stacked ? { stack: 'total', barMaxWidth: 48 } : { showSymbol: false, smooth: true }),
        ...(tile.options.area && !stacked ? { areaStyle: { opacity: 0.15 } } : {}),
      })),
    };
  }
  // bar: one bar per dimension value, or per metric when there is no dimension.
  const labels = dims.length
    ? rows.map((r) => dims.map((d) => String(r[d])).join(' · '))
    : metrics.map((c) => c.label ?? c.name);
  const values = dims.length ? rows.map((r) => r[first.name]) : metrics.map((c) => rows[0]?.[c.name] ?? null);
  return {
    ...base,
    grid,
    xAxis: { type: 'value', ...axis, axisLabel: { color: theme.text, formatter: fmt } },
    yAxis: { type: 'category', data: labels, inverse: true, ...axis },
    series: [{ type: 'bar', data: values, barMaxWidth: 22, itemStyle: { borderRadius: [0, 4, 4, 0] } }],
  };
}

/** The chart element a click landed on, as ECharts reports it (see `ChartClick`). */
export interface ChartElementClick {
  seriesName?: string | undefined;
  name: string;
  dataIndex: number;
  value: unknown;
}

/**
 * Where a click on a chart element drills to: the tile's breakdown by the dimension the element
 * stands for, opened on the element's value (a bar, a pie slice, a series of a stacked bar or a
 * line, an hour-of-week cell). Without a dimension (bars per metric, a total over time) the
 * breakdown opens on the metric's first dimension, as the tile's drill button does. `undefined`
 * when the tile cannot be drilled into.
 */
export function drillTargetOf(
  tile: Tile,
  result: TileResult | undefined,
  click: ChartElementClick,
): { dimension?: string; value?: string } | undefined {
  if (tile.data.kind !== 'metric' && tile.data.kind !== 'report') return undefined;
  const m = result?.metric;
  const dim = m?.columns.find((c) => c.kind === 'dimension')?.name;
  if (!m || !dim) return {};
  const rows = m.rows as Row[];
  if (tile.type === 'bar' || tile.type === 'pie') {
    const row = rows[click.dataIndex];
    return row ? { dimension: dim, value: String(row[dim]) } : {};
  }
  if (tile.type === 'timeseries' || tile.type === 'stacked_bar')
    return click.seriesName === undefined ? {} : { dimension: dim, value: click.seriesName };
  if (tile.type === 'heatmap' && Array.isArray(click.value)) {
    const [hour, day] = click.value as [number, number];
    return { dimension: dim, value: String(day * 24 + hour) };
  }
  return {};
}
