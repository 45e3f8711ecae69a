import type { Resolvers } from '../../api/generated/resolvers-types';
import { toConnection } from '../shared/cursor';

/** Result queries: parse, call the result service, map. */
export const resultResolvers: Resolvers = {
  Query: {
    report: (_parent, { runId }, { viewer, services }) => services.results.report(viewer, runId),
    violations: async (_parent, { filter, first, after }, { viewer, services }) =>
      toConnection(await services.results.violations(viewer, filter ?? {}, first, after), Boolean(after)),
    metrics: async (_parent, { runId }, { viewer, services }) =>
      (await services.results.metrics(viewer, runId)) ?? null,
    series: (_parent, { runId, metrics, buckets }, { viewer, services }) =>
      services.results.series(viewer, runId, metrics, buckets),
    compareRuns: async (_parent, { a, b }, { viewer, services }) => {
      const comparison = await services.results.compare(viewer, a, b);
      return {
        ...comparison,
        metricDeltas: comparison.metricDeltas.map((m) => ({
          ...m,
          direction: m.direction === 'better' ? 'BETTER' : m.direction === 'worse' ? 'WORSE' : 'NEUTRAL',
        })),
      };
    },
  },
  Violation: {
    run: (violation, _args, { viewer, services }) => services.runs.getOrThrow(viewer, violation.runId),
  },
};
