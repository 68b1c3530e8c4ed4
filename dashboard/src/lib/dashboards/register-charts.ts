import { BarChart, FunnelChart, HeatmapChart, LineChart, PieChart } from 'echarts/charts';
import { LegendComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';

// The dashboard tiles draw more chart kinds than the overview; ECharts' registry is global, so
// registering them here lets the shared `chart` action draw them.
echarts.use([BarChart, LineChart, PieChart, HeatmapChart, FunnelChart, LegendComponent, VisualMapComponent]);
