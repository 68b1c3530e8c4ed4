import { describe, expect, it } from 'vitest';
import { drillTargetOf, tileChartOption } from './tile-chart.ts';
import type { Tile, TileResult } from './types.ts';

const theme = { text: '#555', grid: '#eee', palette: ['#6d5dfc', '#0ea5e9'] };
const tile = (type: Tile['type'], options: Partial<Tile['options']> = {}): Tile => ({
  id: 't',
  type,
  title: 'Engagements',
  data: { kind: 'metric', query: { metrics: ['engagements'], dimensions: [], filters: [], limit: 1000 } },
  layout: { w: 6, h: 2 },
  options: { sparkline: true, donut: false, pageSize: 10, area: false, ...options },
});
const result = (
  rows: Record<string, string | number | null>[],
  dims: string[],
  time = false,
): TileResult => ({
  id: 't',
  status: 'ok',
  metric: {
    columns: [
      ...(time ? [{ name: 'time', kind: 'time' as const, type: 'time' as const }] : []),
      ...dims.map((name) => ({ name, kind: 'dimension' as const, type: 'string' as const })),
      { name: 'engagements', kind: 'metric', type: 'number', label: 'Engagements', format: 'number' },
    ],
    rows,
    truncated: false,
    timeRange: { from: '', to: '', timezone: 'UTC' },
  },
});

describe('tileChartOption', () => {
  it('stacks one series per dimension value over time, filling missing buckets with 0', () => {
    const option = tileChartOption(
      tile('stacked_bar'),
      result(
        [
          { time: '2026-11-02', platform: 'x', engagements: 3 },
          { time: '2026-11-03', platform: 'y', engagements: 5 },
        ],
        ['platform'],
        true,
      ),
      theme,
    ) as { series: { name: string; data: unknown[]; stack: string }[] };
    expect(option.series.map((s) => [s.name, s.data, s.stack])).toEqual([
      ['x', [3, 0], 'total'],
      ['y', [0, 5], 'total'],
    ]);
  });
  it('places hour-of-week values on a 24 × 7 heatmap', () => {
    const option = tileChartOption(
      tile('heatmap'),
      result([{ publish_hour_of_week: 25, engagements: 9 }], ['publish_hour_of_week']),
      theme,
    ) as { series: { data: unknown[] }[] };
    expect(option.series[0]?.data).toEqual([[1, 1, 9]]);
  });
  it('draws a ring for a donut and labels the chart for screen readers', () => {
    const option = tileChartOption(
      tile('pie', { donut: true }),
      result([{ platform: 'x', engagements: 3 }], ['platform']),
      theme,
    ) as {
      series: { radius: unknown; data: unknown[] }[];
      aria: { enabled: boolean };
    };
    expect(option.series[0]?.radius).toEqual(['45%', '70%']);
    expect(option.series[0]?.data).toEqual([{ name: 'x', value: 3 }]);
    expect(option.aria.enabled).toBe(true);
  });
});

describe('drillTargetOf', () => {
  const byPlatform = result(
    [
      { platform: 'x', engagements: 3 },
      { platform: 'linkedin', engagements: 5 },
    ],
    ['platform'],
  );
  it('drills from a bar or a pie slice to its dimension value', () => {
    expect(drillTargetOf(tile('bar'), byPlatform, { name: 'linkedin', dataIndex: 1, value: 5 })).toEqual({
      dimension: 'platform',
      value: 'linkedin',
    });
    expect(drillTargetOf(tile('pie'), byPlatform, { name: 'x', dataIndex: 0, value: 3 })).toEqual({
      dimension: 'platform',
      value: 'x',
    });
  });
  it('drills from a point of a series over time to the series’ value', () => {
    const over = result([{ time: '2026-11-02', platform: 'x', engagements: 3 }], ['platform'], true);
    expect(
      drillTargetOf(tile('stacked_bar'), over, {
        seriesName: 'x',
        name: '2026-11-02',
        dataIndex: 0,
        value: 3,
      }),
    ).toEqual({ dimension: 'platform', value: 'x' });
  });
  it('drills from an hour-of-week cell to that hour', () => {
    const cells = result([{ publish_hour_of_week: 25, engagements: 9 }], ['publish_hour_of_week']);
    expect(drillTargetOf(tile('heatmap'), cells, { name: '1', dataIndex: 0, value: [1, 1, 9] })).toEqual({
      dimension: 'publish_hour_of_week',
      value: '25',
    });
  });
  it('opens the plain breakdown without a dimension, and nothing for tiles without a metric', () => {
    expect(
      drillTargetOf(tile('bar'), result([{ engagements: 3 }], []), {
        name: 'Engagements',
        dataIndex: 0,
        value: 3,
      }),
    ).toEqual({});
    const funnel: Tile = {
      ...tile('funnel'),
      data: { kind: 'funnel', funnel: 'signup' } as unknown as Tile['data'],
    };
    expect(drillTargetOf(funnel, undefined, { name: 'a', dataIndex: 0, value: 1 })).toBeUndefined();
  });
});
