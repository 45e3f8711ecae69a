import { metricsRegistry, pipelineMetrics, servedMetricsRegistry } from '../../../src/platform/metrics';

// A worker process serves no /metrics: its registry must not sample the event loop (a 10 ms timer),
// while the process that serves /metrics (the API, or API and worker in one process) shows both the
// process metrics and the pipeline metrics on one registry.
describe('metrics registries', () => {
  const names = async () => (await metricsRegistry().getMetricsAsJSON()).map((metric) => metric.name);

  it('keeps process metrics off until a process serves the registry, then adds them once', async () => {
    pipelineMetrics();
    expect(await names()).toContain('dmasim_runs_finished_total');
    expect(await names()).not.toContain('dmasim_nodejs_eventloop_lag_seconds');

    expect(servedMetricsRegistry()).toBe(metricsRegistry());
    expect(() => servedMetricsRegistry()).not.toThrow();
    expect(await names()).toEqual(
      expect.arrayContaining(['dmasim_nodejs_eventloop_lag_seconds', 'dmasim_runs_finished_total']),
    );
  });
});
