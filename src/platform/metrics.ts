import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A Prometheus registry with the process metrics (CPU, memory, event-loop lag, GC), as /metrics serves. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dmasim_' });
  return registry;
}

let processRegistry: Registry | undefined;
let processMetricsCollected = false;
let processPipelineMetrics: PipelineMetrics | undefined;

/**
 * The process's registry, shared by the API and a worker started in the same process (npm start),
 * so one /metrics shows both. Created on first use, without the process metrics: a process that
 * serves it asks for them (`servedMetricsRegistry`). The event-loop lag metric samples the loop
 * every 10 ms; in a worker process that nobody scrapes that was 100 wake-ups a second for nothing.
 */
export function metricsRegistry(): Registry {
  processRegistry ??= new Registry();
  return processRegistry;
}

/** The process's registry with the process metrics collected: for the process that serves /metrics. */
export function servedMetricsRegistry(): Registry {
  const registry = metricsRegistry();
  if (!processMetricsCollected) {
    collectDefaultMetrics({ register: registry, prefix: 'dmasim_' });
    processMetricsCollected = true;
  }
  return registry;
}

/** Run-pipeline metrics recorded by workers (issue 7). */
export interface PipelineMetrics {
  /** Submit-to-final-state and start-to-final-state seconds, by final status. */
  readonly runDurationSeconds: Histogram<'status' | 'phase'>;
  /** Runs this process ended, by final status. */
  readonly runsFinishedTotal: Counter<'status'>;
  /** Engine operations per second of wall time, per successful run. */
  readonly engineOpsPerSecond: Histogram;
  /** Engine operations executed by this process. */
  readonly engineOperationsTotal: Counter;
  /** Jobs of the runs queue by state (collected from Redis at scrape time). */
  readonly queueDepth: Gauge<'state'>;
}

/** The process's pipeline metrics on `metricsRegistry()`. */
export function pipelineMetrics(): PipelineMetrics {
  if (processPipelineMetrics) return processPipelineMetrics;
  const registers = [metricsRegistry()];
  processPipelineMetrics = {
    runDurationSeconds: new Histogram({
      name: 'dmasim_run_duration_seconds',
      help: 'Run duration by final status; phase=total is submit to end, phase=execution is start to end',
      labelNames: ['status', 'phase'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800],
      registers,
    }),
    runsFinishedTotal: new Counter({
      name: 'dmasim_runs_finished_total',
      help: 'Runs that reached a final status in this process',
      labelNames: ['status'],
      registers,
    }),
    engineOpsPerSecond: new Histogram({
      name: 'dmasim_engine_ops_per_second',
      help: 'Engine throughput of successful runs (operations per second of engine time)',
      buckets: [1e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7],
      registers,
    }),
    engineOperationsTotal: new Counter({
      name: 'dmasim_engine_operations_total',
      help: 'Engine operations executed by this process',
      registers,
    }),
    queueDepth: new Gauge({
      name: 'dmasim_queue_jobs',
      help: 'Jobs in the runs queue by state',
      labelNames: ['state'],
      registers,
    }),
  };
  return processPipelineMetrics;
}

/** Reads queue depth at every scrape (one source per process; the last registration wins). */
export function collectQueueDepth(counts: () => Promise<Record<string, number>>): void {
  const gauge = pipelineMetrics().queueDepth;
  (gauge as unknown as { collect?: () => Promise<void> }).collect = async () => {
    try {
      const byState = await counts();
      for (const [state, count] of Object.entries(byState)) gauge.set({ state }, count);
    } catch {
      gauge.reset(); // Redis unreachable: report no depth rather than failing the whole scrape (readyz says why)
    }
  };
}
