import type { Resolvers } from '../../api/generated/resolvers-types';
import { toConnection } from '../common/cursor';
import { orNotFound } from '../common/user-errors';
import { type Run as RunModel, type RunBatchWithRuns, verdictEnum, verdictOfEnum } from './run.types';

/** Run operations: parse, call the run service, map. */
export const runResolvers: Resolvers = {
  Query: {
    run: async (_parent, { id }, { viewer, services }) => orNotFound(await services.runs.get(viewer, id), 'run', id),
    runs: async (_parent, { filter, sort, first, after }, { viewer, services }) =>
      toConnection(
        await services.runs.list(
          viewer,
          {
            ...filter,
            verdict: filter?.verdict?.map(verdictOfEnum) ?? null,
            verdictLevel: filter?.verdictLevel?.map(verdictOfEnum) ?? null,
          },
          sort ?? 'CREATED_AT_DESC',
          first,
          after,
        ),
        Boolean(after),
      ),
    runBatch: async (_parent, { id }, { viewer, services }) =>
      orNotFound(await services.runs.batch(viewer, id), 'run batch', id),
  },
  Mutation: {
    submitRun: async (_parent, { input }, { viewer, services }) => {
      const result = await services.runs.submit(viewer, input);
      if ('userErrors' in result)
        return { __typename: 'InputRejected', userErrors: result.userErrors.map((e) => ({ ...e, path: [...e.path] })) };
      return { __typename: 'RunSubmitted', run: result.run, created: result.created };
    },
    submitMatrix: async (_parent, { input }, { viewer, services }) => {
      const result = await services.runs.submitMatrix(viewer, input);
      if ('userErrors' in result)
        return { __typename: 'InputRejected', userErrors: result.userErrors.map((e) => ({ ...e, path: [...e.path] })) };
      return { __typename: 'MatrixSubmitted', batch: result.batch };
    },
    cancelRun: (_parent, { id }, { viewer, services }) => services.runs.cancel(viewer, id),
    retryRun: (_parent, { id }, { viewer, services }) => services.runs.retry(viewer, id),
  },
  Run: {
    scenario: (run, _args, { viewer, services }) => services.scenarios.getOrThrow(viewer, run.scenarioId),
    scenarioVersion: (run, _args, { viewer, services }) => services.scenarios.version(viewer, run.scenarioVersionId),
    overlays: (run) => run.overlays.map((o) => ({ name: o.name, variant: o.variant ?? null })),
    verdict: (run) => (run.verdict === null ? null : verdictEnum(run.verdict)),
    summary: (run) =>
      run.summary === null
        ? null
        : {
            verdict: verdictEnum(run.summary.verdict),
            levels: run.summary.levels.map(verdictEnum),
            operations: BigInt(run.summary.operations),
            violations: run.summary.violations,
            failures: run.summary.failures,
            critical: run.summary.bySeverity.critical,
            high: run.summary.bySeverity.high,
            info: run.summary.bySeverity.info,
            byClass: Object.entries(run.summary.byClass).map(([id, n]) => ({ class: id, operations: BigInt(n) })),
            failedOperations: BigInt(run.summary.failedOperations),
            bytesExposed: BigInt(run.summary.bytesExposed),
          },
  },
  RunBatch: {
    runs: (batch) => [...batch.runs],
    // Read with the batch row (not a second query), so it agrees with the batch's finishedAt.
    comparison: (batch) => batch.comparison,
  },
  Subscription: {
    runUpdated: {
      subscribe: (_parent, { runId }, { viewer, services }) => services.runUpdates.watchRun(viewer, runId),
      resolve: (run: RunModel) => run,
    },
    batchUpdated: {
      subscribe: (_parent, { batchId }, { viewer, services }) => services.runUpdates.watchBatch(viewer, batchId),
      resolve: (batch: RunBatchWithRuns) => batch,
    },
  },
};
