import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { LegendComponent } from 'echarts/components';
import * as echarts from 'echarts/core';

// Explore draws lines, areas and pies besides bars. ECharts' registry is global, so registering
// them here lets the shared `chart` action (lib/charts/echarts.action.ts) draw them.
echarts.use([BarChart, LineChart, PieChart, LegendComponent]);
