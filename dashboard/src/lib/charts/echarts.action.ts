import { BarChart } from 'echarts/charts';
import { AriaComponent, GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, GridComponent, TooltipComponent, AriaComponent, SVGRenderer]);

/**
 * The one place ECharts is touched in the browser: init on mount, setOption on every update,
 * resize with the container, dispose on destroy. SVG rendering keeps charts crisp and readable
 * by screen readers (with `aria` in the option).
 */
export function chart(node: HTMLElement, option: echarts.EChartsCoreOption) {
  const instance = echarts.init(node, null, { renderer: 'svg' });
  instance.setOption(option);
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
