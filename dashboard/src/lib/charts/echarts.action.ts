import { BarChart } from 'echarts/charts';
import { AriaComponent, GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { ActionReturn } from 'svelte/action';

echarts.use([BarChart, GridComponent, TooltipComponent, AriaComponent, SVGRenderer]);

/** What ECharts says about a clicked chart element (a bar, a slice, a point, a cell). */
export interface ChartClick {
  componentType: string;
  seriesType?: string | undefined;
  seriesName?: string | undefined;
  name: string;
  dataIndex: number;
  value: unknown;
}

/**
 * The one place ECharts is touched in the browser: init on mount, setOption on every update,
 * resize with the container, dispose on destroy. SVG rendering keeps charts crisp and readable
 * by screen readers (with `aria` in the option). A click on a chart element is forwarded as a
 * `chartclick` DOM event on the node (`onchartclick` in Svelte), its detail a `ChartClick`.
 */
export function chart(
  node: HTMLElement,
  option: echarts.EChartsCoreOption,
): ActionReturn<echarts.EChartsCoreOption, { onchartclick?: (event: CustomEvent<ChartClick>) => void }> {
  const instance = echarts.init(node, null, { renderer: 'svg' });
  instance.setOption(option);
  instance.on('click', (params) => {
    const p = params as ChartClick;
    const detail: ChartClick = {
      componentType: p.componentType,
      seriesType: p.seriesType,
      seriesName: p.seriesName,
      name: p.name,
      dataIndex: p.dataIndex,
      value: p.value,
    };
    node.dispatchEvent(new CustomEvent('chartclick', { detail }));
  });
  const observer = new ResizeObserver(() => instance.resize());
  observer.observe(node);
  return {
    update(next: echarts.EChartsCoreOption) {
      instance.setOption(next, { notMerge: false });
    },
    destroy() {
      observer.disconnect();
      instance.dispose();
    },
  };
}
