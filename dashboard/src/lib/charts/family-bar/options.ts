import type { EChartsCoreOption } from 'echarts/core';
import { formatCompact, formatExact } from '../../format/format-number.ts';

export interface FamilyBarRow {
  family: string;
  events: number;
}
export interface ChartTheme {
  text: string;
  grid: string;
  colors: Record<string, string>;
}

const labels: Record<string, string> = { product: 'Product', social: 'Social', crm: 'CRM' };

/**
 * Events per stream family as a horizontal bar chart; a pure function, tested without a DOM. The
 * axis counts compactly ("120K": full numbers ran into each other), each bar its exact count.
 */
export function familyBarOptions(
  rows: FamilyBarRow[],
  theme: ChartTheme,
  locale?: string,
): EChartsCoreOption {
  return {
    aria: { enabled: true, decal: { show: false } },
    animationDuration: 300,
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      type: 'value',
      axisLabel: { color: theme.text, formatter: (value: number) => formatCompact(value, locale) },
      splitLine: { lineStyle: { color: theme.grid } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => labels[r.family] ?? r.family),
      axisLabel: { color: theme.text, fontWeight: 600 },
      axisLine: { show: false },
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        name: 'Events',
        barMaxWidth: 28,
        data: rows.map((r) => ({
          value: r.events,
          itemStyle: { color: theme.colors[r.family] ?? '#888', borderRadius: [0, 6, 6, 0] },
        })),
        label: {
          show: true,
          position: 'right',
          color: theme.text,
          formatter: ({ value }: { value: number }) => formatExact(value, locale),
        },
      },
    ],
  };
}
