import { formatReviewDelta, type ReviewCost, type ReviewExposure, type ReviewFailure } from '../../engine/index';
import type {
  PatchReview as GqlPatchReview,
  Resolvers,
  ReviewCost as GqlReviewCost,
  ReviewExposure as GqlReviewExposure,
  ReviewFailure as GqlReviewFailure,
} from '../../api/generated/resolvers-types';
import { type RunVerdict, verdictEnum } from '../run/run.types';
import { orNotFound } from '../common/user-errors';
import type { PatchReview, PatchReviewView } from './review.types';

const sourceKinds = { scenarios: 'SCENARIOS', suite: 'SUITE', examples: 'EXAMPLES' } as const;

const cost = (c: ReviewCost): GqlReviewCost => ({
  key: c.key,
  base: typeof c.base === 'number' ? c.base : null,
  patched: typeof c.patched === 'number' ? c.patched : null,
  delta: c.delta,
  deltaText: formatReviewDelta(c.key, c.delta),
});

const exposure = (e: ReviewExposure): GqlReviewExposure => ({
  ...e,
  count: BigInt(e.count),
  bytesExposed: BigInt(e.bytesExposed),
  hunksNeeded: [...e.hunksNeeded],
});

const failure = (f: ReviewFailure): GqlReviewFailure => ({ ...f, count: BigInt(f.count) });

/** A review (as submitted, or as read with its live status) in the schema's shape. */
function toGraphql(review: PatchReview | PatchReviewView): GqlPatchReview {
  const result = review.result;
  const total = result?.total;
  const runs = review.plan.length + review.plan.reduce((n, p) => n + 1 + p.probes.length, 0);
  return {
    id: review.id,
    base: review.base,
    patched: review.patched,
    operations: review.operationsCap,
    source: sourceKinds[review.source.kind],
    suiteId: review.source.kind === 'suite' ? review.source.suiteId : null,
    status: 'status' in review ? review.status : 'QUEUED',
    progress: 'progress' in review ? review.progress : { total: runs, finished: 0 },
    runBatchIds: review.plan.map((p) => p.runBatchId),
    createdAt: review.createdAt,
    finishedAt: review.finishedAt,
    scenarios:
      result?.scenarios.map((s) => ({
        scenarioId: s.scenarioId,
        scenario: s.scenario,
        runBatchId: s.runBatchId,
        baseVerdict: verdictEnum(s.baseVerdict as RunVerdict),
        patchedVerdict: verdictEnum(s.patchedVerdict as RunVerdict),
        fixed: s.fixed.map(exposure),
        left: s.left.map(exposure),
        newExposures: s.newExposures.map(exposure),
        newFailures: s.newFailures.map(failure),
        memory: s.memory.map(cost),
        time: cost(s.time),
        affected: s.affected,
        verdict: s.verdict,
      })) ?? null,
    skipped: (result?.skipped ?? review.skipped).map((s) => ({ ...s })),
    total: total
      ? {
          scenarios: total.scenarios,
          unaffected: total.unaffected,
          fixed: total.fixed,
          left: total.left,
          newExposures: total.newExposures,
          newFailedOperations: BigInt(total.newFailedOperations),
          memory: total.memory.map(cost),
          time: cost(total.time),
          verdict: total.verdict,
        }
      : null,
    markdown: result?.markdown ?? null,
  };
}

/** Patch reviews: parse, call the review service, map. */
export const reviewResolvers: Resolvers = {
  Query: {
    patchReview: async (_parent, { id }, { viewer, services }) =>
      toGraphql(orNotFound(await services.reviews.review(viewer, id), 'patch review', id)),
  },
  Mutation: {
    reviewPatch: async (_parent, { input }, { viewer, services }) => {
      const result = await services.reviews.reviewPatch(viewer, input);
      if ('userErrors' in result)
        return { __typename: 'InputRejected', userErrors: result.userErrors.map((e) => ({ ...e, path: [...e.path] })) };
      return { __typename: 'PatchReviewSubmitted', review: toGraphql(result) };
    },
  },
};
