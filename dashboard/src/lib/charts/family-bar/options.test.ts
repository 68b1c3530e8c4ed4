import { describe, expect, it } from 'vitest';
import { familyBarOptions } from './options.ts';

const theme = {
  text: '#111',
  grid: '#eee',
  colors: { product: '#6d5dfc', social: '#0ea5e9', crm: '#f59e0b' },
};

describe('family bar chart options', () => {
  it('puts one bar per family, labelled and coloured by family', () => {
    const option = familyBarOptions(
      [
        { family: 'product', events: 10 },
        { family: 'crm', events: 3 },
      ],
      theme,
    ) as {
      yAxis: { data: string[] };
      series: { data: { value: number; itemStyle: { color: string } }[] }[];
      aria: { enabled: boolean };
    };
    expect(option.yAxis.data).toEqual(['Product', 'CRM']);
    expect(option.series[0]!.data.map((d) => d.value)).toEqual([10, 3]);
    expect(option.series[0]!.data[1]!.itemStyle.color).toBe('#f59e0b');
    expect(option.aria.enabled).toBe(true);
  });

  it('labels the axis compactly and each bar with its exact count', () => {
    const option = familyBarOptions([{ family: 'product', events: 188_372 }], theme, 'en') as {
      xAxis: { axisLabel: { formatter: (v: number) => string } };
      series: { label: { formatter: (p: { value: number }) => string } }[];
    };
    expect([0, 30_000, 120_000, 1_500_000].map(option.xAxis.axisLabel.formatter)).toEqual([
      '0',
      '30K',
      '120K',
      '1.5M',
    ]);
    expect(option.series[0]!.label.formatter({ value: 188_372 })).toBe('188,372');
  });
});
