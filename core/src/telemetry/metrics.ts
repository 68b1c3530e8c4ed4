import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process with the default process metrics (CPU, memory, event loop lag, GC).
 * Components register their own counters and histograms on it; /metrics serves it.
 */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: 'pulse_' });
  return registry;
}

export type { Registry } from 'prom-client';
export { Counter, Gauge, Histogram, Summary } from 'prom-client';
