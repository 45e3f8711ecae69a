import { z } from 'zod';
import type { PatchReview as PatchReviewRow, Prisma } from '../../generated/prisma/client';
import type { Database } from '../../platform/db';
import type { NewPatchReview, PatchReview, ReviewResult } from './review.types';

// The JSON columns of patch_review, parsed at the repository boundary: a row that does not match
// (hand-edited, written by another version) fails loudly here instead of deep in the service.
const source = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('scenarios') }),
  z.object({ kind: z.literal('suite'), suiteId: z.string() }),
  z.object({ kind: z.literal('examples') }),
]);
const plan = z.array(
  z.object({
    scenarioId: z.string(),
    scenarioName: z.string(),
    runBatchId: z.string(),
    baseRunId: z.string(),
    patchedRunId: z.string(),
    probes: z.array(z.object({ hunk: z.string(), runId: z.string() })),
  }),
);
const skipped = z.array(z.object({ scenario: z.string(), reason: z.string() }));
const metricValue = z.union([z.number(), z.string()]).nullable();
const cost = z.object({ key: z.string(), base: metricValue, patched: metricValue, delta: z.number().nullable() });
const exposure = z.object({
  class: z.string(),
  deviceId: z.string(),
  dataClass: z.string(),
  severity: z.string(),
  count: z.number(),
  bytesExposed: z.number(),
  path: z.string(),
  rule: z.string(),
  hunksNeeded: z.array(z.string()),
});
const result = z.object({
  status: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']),
  scenarios: z.array(
    z.object({
      scenarioId: z.string(),
      runBatchId: z.string(),
      scenario: z.string(),
      baseVerdict: z.string(),
      patchedVerdict: z.string(),
      fixed: z.array(exposure),
      left: z.array(exposure),
      newExposures: z.array(exposure),
      newFailures: z.array(
        z.object({
          class: z.string(),
          deviceId: z.string(),
          severity: z.string(),
          count: z.number(),
          kernelLogLine: z.string().nullable(),
        }),
      ),
      memory: z.array(cost),
      time: cost,
      affected: z.boolean(),
      verdict: z.string(),
    }),
  ),
  skipped,
  total: z.object({
    scenarios: z.number(),
    unaffected: z.number(),
    fixed: z.number(),
    left: z.number(),
    newExposures: z.number(),
    newFailedOperations: z.number(),
    memory: z.array(cost),
    time: cost,
    verdict: z.string(),
  }),
  markdown: z.string(),
});

function toReview(row: PatchReviewRow): PatchReview {
  return {
    id: row.id,
    teamId: row.teamId,
    base: row.base,
    patched: row.patched,
    operationsCap: row.operationsCap,
    source: source.parse(row.source),
    plan: plan.parse(row.plan),
    skipped: skipped.parse(row.skipped),
    result: row.result === null ? null : result.parse(row.result),
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

/** All SQL of patch reviews (team-scoped). */
export class ReviewRepository {
  constructor(private readonly db: Database) {}

  async insert(review: NewPatchReview): Promise<PatchReview> {
    return toReview(
      await this.db.patchReview.create({
        data: {
          teamId: review.teamId,
          base: review.base,
          patched: review.patched,
          operationsCap: review.operationsCap,
          source: review.source as Prisma.InputJsonValue,
          plan: review.plan as unknown as Prisma.InputJsonValue,
          skipped: review.skipped as unknown as Prisma.InputJsonValue,
        },
      }),
    );
  }

  async find(teamId: string, id: string): Promise<PatchReview | undefined> {
    const row = await this.db.patchReview.findFirst({ where: { id, teamId } });
    return row ? toReview(row) : undefined;
  }

  /** Stores the assembled review once; a second writer (two readers assembling at once) changes nothing. */
  async storeResult(teamId: string, id: string, value: ReviewResult, now: Date): Promise<void> {
    await this.db.patchReview.updateMany({
      // finished_at is set with the result, so it marks a stored one.
      where: { id, teamId, finishedAt: null },
      data: { result: value as unknown as Prisma.InputJsonValue, finishedAt: now },
    });
  }
}
