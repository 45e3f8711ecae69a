import type { Resolvers } from '../../api/generated/resolvers-types';
import { toConnection } from '../shared/cursor';
import { orNotFound } from '../shared/user-errors';
import type { Run as RunModel, RunBatchWithRuns } from './run.types';

/** Run operations: parse, call the run service, map. */
export const runResolvers: Resolvers = {
  Query: {
    run: async (_parent, { id }, { viewer, services }) => orNotFound(await services.runs.get(viewer, id), 'run', id),
    runs: async (_parent, { filter, sort, first, after }, { viewer, services }) =>
      toConnection(
        await services.runs.list(viewer, filter ?? {}, sort ?? 'CREATED_AT_DESC', first, after),
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
  },
  RunBatch: {
    runs: (batch) => [...batch.runs],
    comparison: (batch, _args, { viewer, services }) => services.runs.batchComparison(viewer, batch.id),
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
