import type { ReviewSkipped, ReviewTotals, ScenarioReview } from '../../engine/index';
import type { RunStatus } from '../run/run.types';

/** What a patch review covers: scenarios named by id, a regression suite's scenarios, or the bundled examples. */
export type ReviewSource =
  { readonly kind: 'scenarios' } | { readonly kind: 'suite'; readonly suiteId: string } | { readonly kind: 'examples' };

/** One scenario of a review: its run batch, which run is the base and which the patched kernel, and the probe runs. */
export interface ReviewPlanItem {
  readonly scenarioId: string;
  readonly scenarioName: string;
  readonly runBatchId: string;
  readonly baseRunId: string;
  readonly patchedRunId: string;
  /** The patched kernel with one more hunk switched on, one run per hunk its overlays leave off. */
  readonly probes: ReadonlyArray<{ readonly hunk: string; readonly runId: string }>;
}

/** One scenario's review (the engine's) with the scenario and run batch it came from. */
export type ScenarioReviewRecord = ScenarioReview & { readonly scenarioId: string; readonly runBatchId: string };

/** The assembled review, stored once every run has ended. */
export interface ReviewResult {
  /** SUCCEEDED when every run succeeded, else FAILED (a scenario whose base or patched run failed is skipped). */
  readonly status: RunStatus;
  readonly scenarios: readonly ScenarioReviewRecord[];
  /** Scenarios the kernels do not apply to, and those whose base or patched run did not succeed. */
  readonly skipped: readonly ReviewSkipped[];
  readonly total: ReviewTotals;
  /** The same text as `dmasim review --md`. */
  readonly markdown: string;
}

/** A stored patch review. */
export interface PatchReview {
  readonly id: string;
  readonly teamId: string;
  /** The kernels as written (kernel entries). */
  readonly base: string;
  readonly patched: string;
  readonly operationsCap: number | null;
  readonly source: ReviewSource;
  readonly plan: readonly ReviewPlanItem[];
  /** Scenarios not submitted: the kernels do not apply to them (bundled examples only). */
  readonly skipped: readonly ReviewSkipped[];
  readonly result: ReviewResult | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

/** A review as read: its live status and progress, and the result once every run has ended. */
export type PatchReviewView = PatchReview & {
  readonly status: RunStatus;
  /** Runs of the review (base, patched and probes over all scenarios) and how many have ended. */
  readonly progress: { readonly total: number; readonly finished: number };
};

export type NewPatchReview = Omit<PatchReview, 'id' | 'result' | 'createdAt' | 'finishedAt'>;
