import type {
  FindingStatus as FindingStatusEnum,
  MetricDirection as MetricDirectionEnum,
  Resolvers,
} from '../../api/generated/resolvers-types';
import type { FindingStatus, MetricDirection } from '../../engine/index';
import { toConnection } from '../common/cursor';

const directionEnum: Record<MetricDirection, MetricDirectionEnum> = {
  better: 'BETTER',
  worse: 'WORSE',
  neutral: 'NEUTRAL',
  unchanged: 'UNCHANGED',
};
const statusEnum: Record<FindingStatus, FindingStatusEnum> = {
  new: 'NEW',
  reopened: 'REOPENED',
  fixed: 'FIXED',
  persisting: 'PERSISTING',
  moved: 'MOVED',
};

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
        metricDeltas: comparison.metricDeltas.map((m) => ({ ...m, direction: directionEnum[m.direction] })),
      };
    },
    compareRunSet: async (_parent, { runIds }, { viewer, services }) => {
      const set = await services.results.compareRunSet(viewer, runIds);
      return {
        ...set,
        findings: set.findings.flatMap((row) => {
          const any = row.baseline ?? row.cells.find((cell) => cell?.candidate)?.candidate;
          if (!any) return [];
          return [
            {
              class: any.class,
              deviceId: any.deviceId,
              dataClass: any.dataClass,
              severity: any.severity,
              baseline: row.baseline,
              cells: row.cells.map((cell) =>
                cell ? { status: statusEnum[cell.status], violation: cell.candidate, grew: cell.grew } : null,
              ),
            },
          ];
        }),
        metrics: set.metrics.map((m) => ({
          ...m,
          cells: m.cells.map((cell) => ({ ...cell, direction: directionEnum[cell.direction] })),
        })),
      };
    },
  },
  Violation: {
    run: (violation, _args, { viewer, services }) => services.runs.getOrThrow(viewer, violation.runId),
  },
};
