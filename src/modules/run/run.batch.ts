import {
  classDeltas,
  compareResultSets,
  comparisonLine,
  countStatuses,
  type FindingStatus,
  type MetricDelta,
} from '../../engine/index';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { RunRepository } from './run.repository';
import { finalRunStatuses, type Run, type RunBatchWithRuns, type RunResultSummary, type RunStatus } from './run.types';

/** The side-by-side comparison stored on a completed RunBatch (`run_batch.comparison`). */
export interface BatchComparison {
  readonly version: 1;
  /** One column per run, in submission order. */
  readonly columns: ReadonlyArray<{
    runId: string;
    profile: string;
    overlays: string[];
    status: RunStatus;
    resultHash: string | null;
    errorCode: string | null;
    /** The run's verdict (worst level) and every level that applies; null unless it succeeded. */
    verdict: string | null;
    verdictLevels: string[];
    violationCount: number;
    /** `class/severity` → number of violations. */
    violationsByClass: Record<string, number>;
    bytesExposed: string;
    metrics: {
      nslabs: number;
      hiwater: number;
      failedMaps: string;
      failedCoherentAllocs: string;
      bouncedBytesToDevice: string;
      bouncedBytesFromDevice: string;
    } | null;
  }>;
  /** Every violation fingerprint seen in any column, with the runs that have it. */
  readonly violations: ReadonlyArray<{
    fingerprint: string;
    class: string;
    severity: string;
    presentIn: string[];
    missingFrom: string[];
  }>;
  /** Whether every succeeded column produced the same result hash. */
  readonly identicalResults: boolean;
  /**
   * The one comparison (engine compare module) of every other column against the first: findings
   * new / fixed / persisting / moved (same exposure through another kernel path or rule) and metric
   * deltas with a direction. Empty when the batch has one run.
   */
  readonly changes: ReadonlyArray<{
    runId: string;
    /** "vs lb: fixed 5, new 0, moved 0, failures +9,958 F5" (the first column's kernel). */
    summary: string;
    findings: Array<{
      status: FindingStatus;
      exposureKey: string;
      baselineFingerprint: string | null;
      candidateFingerprint: string | null;
      grew: boolean;
    }>;
    metrics: MetricDelta[];
  }>;
}

/**
 * What happens once a batch completes (e.g. regression checks), injected by the composition root.
 * Runs in the process that completed the batch (a worker, or the API for a cancelled last run),
 * after the completion is committed; each batch completes exactly once across all processes.
 */
export type BatchCompletedListener = (
  batch: RunBatchWithRuns & { comparison: BatchComparison },
) => Promise<void> | void;

/** A batch's final status: SUCCEEDED when every run succeeded, else FAILED. */
export function finalBatchStatus(runs: readonly Pick<Run, 'status'>[]): RunStatus {
  return runs.every((r) => r.status === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED';
}

/** Builds the side-by-side comparison of a batch's finished runs (pure). */
export function buildBatchComparison(
  runs: readonly Run[],
  summaries: ReadonlyMap<string, RunResultSummary>,
): BatchComparison {
  const fingerprints = new Map<string, { class: string; severity: string; presentIn: string[] }>();
  const columns = runs.map((run) => {
    const summary = summaries.get(run.id);
    const violationsByClass: Record<string, number> = {};
    let bytesExposed = 0n;
    for (const v of summary?.violations ?? []) {
      const key = `${v.class}/${v.severity}`;
      violationsByClass[key] = (violationsByClass[key] ?? 0) + 1;
      bytesExposed += v.bytesExposed;
      const entry = fingerprints.get(v.fingerprint) ?? { class: v.class, severity: v.severity, presentIn: [] };
      entry.presentIn.push(run.id);
      fingerprints.set(v.fingerprint, entry);
    }
    const m = summary?.metrics ?? null;
    return {
      runId: run.id,
      profile: run.profile,
      overlays: run.overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name)),
      status: run.status,
      resultHash: run.resultHash,
      errorCode: run.errorCode,
      verdict: run.verdict,
      verdictLevels: [...(run.summary?.levels ?? [])],
      violationCount: summary?.violations.length ?? 0,
      violationsByClass,
      bytesExposed: bytesExposed.toString(),
      metrics: m
        ? {
            nslabs: m.nslabs,
            hiwater: m.hiwater,
            failedMaps: m.failedMaps.toString(),
            failedCoherentAllocs: m.failedCoherentAllocs.toString(),
            bouncedBytesToDevice: m.bouncedBytesToDevice.toString(),
            bouncedBytesFromDevice: m.bouncedBytesFromDevice.toString(),
          }
        : null,
    };
  });
  const hashes = new Set(runs.filter((r) => r.status === 'SUCCEEDED').map((r) => r.resultHash));
  return {
    version: 1,
    columns,
    violations: [...fingerprints.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([fingerprint, v]) => ({
        fingerprint,
        class: v.class,
        severity: v.severity,
        presentIn: v.presentIn,
        missingFrom: runs.map((r) => r.id).filter((id) => !v.presentIn.includes(id)),
      })),
    identicalResults: hashes.size <= 1,
    changes: columnChanges(runs, summaries),
  };
}

/** Every run after the first against the first, through the one comparison. */
function columnChanges(
  runs: readonly Run[],
  summaries: ReadonlyMap<string, RunResultSummary>,
): BatchComparison['changes'] {
  const sets = runs.map((run) => {
    const summary = summaries.get(run.id);
    const m = summary?.metrics;
    const metrics = m
      ? {
          nslabs: m.nslabs,
          hiwater: m.hiwater,
          failedMaps: m.failedMaps.toString(),
          failedCoherentAllocs: m.failedCoherentAllocs.toString(),
          bouncedBytesToDevice: m.bouncedBytesToDevice.toString(),
          bouncedBytesFromDevice: m.bouncedBytesFromDevice.toString(),
        }
      : {};
    return { label: run.id, findings: summary?.violations ?? [], metrics };
  });
  const [first, ...rest] = sets;
  const [firstRun] = runs;
  if (!first || !firstRun) return [];
  const label = (run: Run): string =>
    [run.profile, ...run.overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join('+');
  const byId = new Map(runs.map((r) => [r.id, r]));
  return compareResultSets(first, rest).map((column) => ({
    runId: column.label,
    summary: comparisonLine(
      label(firstRun),
      countStatuses(column.findings),
      classDeltas(firstRun.summary?.byClass ?? {}, byId.get(column.label)?.summary?.byClass ?? {}),
    ),
    findings: column.findings.map((f) => ({
      status: f.status,
      exposureKey: f.exposureKey,
      baselineFingerprint: f.baseline?.fingerprint ?? null,
      candidateFingerprint: f.candidate?.fingerprint ?? null,
      grew: f.grew,
    })),
    metrics: [...column.metrics],
  }));
}

/** Completes batches whose runs have all ended. */
export class RunBatchCompleter {
  constructor(
    private readonly runs: RunRepository,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onCompleted: BatchCompletedListener = () => undefined,
  ) {}

  /**
   * Completes the batch if all its runs are final: under a row lock, so exactly one caller writes the
   * status, finish time and comparison and calls onCompleted. Returns the batch when this call
   * completed it, undefined otherwise (not done yet, already complete, or no such batch).
   */
  async completeBatchIfDone(
    batchId: string,
  ): Promise<(RunBatchWithRuns & { comparison: BatchComparison }) | undefined> {
    let comparison: BatchComparison | undefined;
    const completed = await this.runs.completeBatchLocked(
      batchId,
      async (runs, summaries) => {
        if (runs.length === 0 || !runs.every((r) => finalRunStatuses.has(r.status))) return undefined;
        comparison = buildBatchComparison(runs, await summaries(runs.map((r) => r.id)));
        return { status: finalBatchStatus(runs), comparison };
      },
      this.clock.now(),
    );
    if (!completed || !comparison) return undefined;
    const result = { ...completed, comparison };
    this.logger.info({ batchId, status: completed.status, runs: completed.runs.length }, 'batch completed');
    try {
      await this.onCompleted(result);
    } catch (error: unknown) {
      // A listener's failure must not undo or repeat the completion; it is logged once here.
      this.logger.error({ err: error, batchId }, 'batch-completed listener failed');
    }
    return result;
  }
}
