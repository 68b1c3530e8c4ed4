export { createMetricsRegistry, Counter, Gauge, Histogram, Summary, type Registry } from './metrics.ts';
export { setupTracing, type Tracing } from './tracing.ts';
