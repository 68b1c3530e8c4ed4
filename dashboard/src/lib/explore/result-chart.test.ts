import { describe, expect, it } from 'vitest';
import { type MetricColumn, metricChartOption, sqlChartOption } from './result-chart.ts';

const colors = { text: '#111', grid: '#eee', palette: ['#6d5dfc', '#0ea5e9'] };
const columns: MetricColumn[] = [
  { name: 'time', kind: 'time', type: 'time' },
  { name: 'platform', kind: 'dimension', type: 'string' },
  { name: 'impressions', kind: 'metric', type: 'number', label: 'Impressions' },
];
const rows = [
  { time: '2026-11-02', platform: 'instagram', impressions: 1000 },
  { time: '2026-11-02', platform: 'linkedin', impressions: 150 },
  { time: '2026-11-03', platform: 'instagram', impressions: 500 },
];
type Series = { name: string; data: (number | null)[]; type: string; stack?: string };

describe('metric result charts', () => {
  it('draws a line per dimension value over time, with gaps as null', () => {
    const option = metricChartOption(columns, rows, 'line', colors) as {
      xAxis: { data: string[] };
      series: Series[];
    };
    expect(option.xAxis.data).toEqual(['2026-11-02', '2026-11-03']);
    expect(option.series.map((s) => [s.name, s.data])).toEqual([
      ['instagram', [1000, 500]],
      ['linkedin', [150, null]],
    ]);
  });

  it('stacks bars over time by the dimension', () => {
    const option = metricChartOption(columns, rows, 'stacked_bar', colors) as { series: Series[] };
    expect(option.series.every((s) => s.type === 'bar' && s.stack === 'Impressions')).toBe(true);
  });

  it('sums bars per dimension value and slices a pie by it', () => {
    const bar = metricChartOption(columns, rows, 'bar', colors) as {
      xAxis: { data: string[] };
      series: Series[];
    };
    expect(bar.xAxis.data).toEqual(['instagram', 'linkedin']);
    expect(bar.series[0]!.data).toEqual([1500, 150]);
    const pie = metricChartOption(
      columns.filter((c) => c.kind !== 'time'),
      rows,
      'pie',
      colors,
    ) as {
      series: { data: { name: string; value: number }[] }[];
    };
    expect(pie.series[0]!.data).toEqual([
      { name: 'instagram', value: 1500 },
      { name: 'linkedin', value: 150 },
    ]);
  });

  it('leaves tables, KPIs and empty results to HTML', () => {
    expect(metricChartOption(columns, rows, 'table', colors)).toBeNull();
    expect(metricChartOption(columns, [], 'line', colors)).toBeNull();
  });
});

describe('SQL result charts', () => {
  it('puts the first column on x and every numeric column after it in a series', () => {
    const option = sqlChartOption(
      [
        { name: 'platform', type: 'LowCardinality(String)' },
        { name: 'posts', type: 'UInt64' },
        { name: 'label', type: 'String' },
        { name: 'rate', type: 'Nullable(Float64)' },
      ],
      [
        ['instagram', 3, 'a', 0.5],
        ['linkedin', 1, 'b', null],
      ],
      'bar',
      colors,
    ) as { xAxis: { data: string[] }; series: Series[] };
    expect(option.xAxis.data).toEqual(['instagram', 'linkedin']);
    expect(option.series.map((s) => [s.name, s.data])).toEqual([
      ['posts', [3, 1]],
      ['rate', [0.5, null]],
    ]);
  });

  it('has nothing to draw without a numeric column', () => {
    expect(
      sqlChartOption(
        [
          { name: 'a', type: 'String' },
          { name: 'b', type: 'String' },
        ],
        [['x', 'y']],
        'bar',
        colors,
      ),
    ).toBeNull();
  });
});
