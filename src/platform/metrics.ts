import { collectDefaultMetrics, Registry } from 'prom-client';

/** One Prometheus registry per process, served at /metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dmasim_' });
  return registry;
}
