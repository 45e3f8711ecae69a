/**
 * The engine's public entry point (engine.md §1): pure, synchronous, deterministic. Callers step an
 * EngineRun in slices (workers) or run it to completion (CLI).
 */
import type { EngineRun } from './engine-run.types';
import type { EngineReport } from './report/report.types';
import { createEngineRun, type EngineRunOptions } from './run/engine-run';
import type { NormalizedScenario } from './spec/normalize';

export { createEngineRun, type EngineRunOptions } from './run/engine-run';
export type { EngineRun } from './engine-run.types';
export type * from './report/report.types';
export { ENGINE_VERSION } from './version';
/** The detector registry: class, severity, kernel function and explanation template per V0–V10 / F1–F15. */
export { failureDetectors, violationDetectors, type FailureDetector, type FailureFamily, type ViolationDetector } from './detectors/index';
// The rest of the face: everything code outside src/engine may use (lint-enforced; tests may reach inside).
/** Validation of scenario specs, and the names and kernels they may use. */
export { validateScenario, formatPath, type NormalizedDevice, type NormalizedOverlay, type NormalizedScenario, type ScenarioSpec, type ScenarioValidation, type SpecIssue } from './spec/validate';
export { kernelProfileIds, overlayIds, overlayVariants, type KernelProfileId, type OverlayId } from './spec/names';
export { kernelProfileProblem, resolveKernel, type ResolvedKernel } from './spec/release';
/** Errors the engine throws. */
export { EngineInvariantError } from './invariant';
/** Canonical JSON: the byte form every engine hash is taken over. */
export { canonicalJson } from './canonical-json';
/** Report rendering (Markdown, and the number formats the CLI's text view shares). */
export { formatBytes, formatCount, formatMetric, headlineMetrics, kernelLabel, renderMatrixMarkdown, renderReportMarkdown } from './report/markdown';
/** SWIOTLB allocator trace replay (`dmasim swiotlb-replay`, the demo). */
export { isReplayError, replayTrace, startReplay, type ReplayError, type ReplaySession } from './swiotlb/index';
/** Side-by-side comparison of reports of one spec under several kernels (`dmasim run --matrix`). */
export type { MatrixColumn, MatrixComparison } from './report/matrix';
export { compareReports, reportResultSet, type MatrixWithChanges } from './compare/matrix';

/** Runs a normalised spec to completion; `onProgress` is called every `progressEveryOps` operations. */
export function runScenario(spec: NormalizedScenario, options: EngineRunOptions & { onProgress?: (fraction: number) => void; progressEveryOps?: number } = {}): EngineReport {
  const run: EngineRun = createEngineRun(spec, options);
  const slice = options.progressEveryOps ?? 50_000;
  while (!run.step(slice)) options.onProgress?.(run.operationsTotal === 0 ? 1 : run.operationsDone / run.operationsTotal);
  options.onProgress?.(1);
  return run.finish();
}
/** The one comparison of result sets: findings paired by fingerprint and exposure, metric deltas with a direction. */
export { compareFindings, compareMetrics, compareResultSets, exposureKey, type ColumnComparison, type ComparableFinding, type ComparedFinding, type CompareOptions, type FindingStatus, type MetricDelta, type ResultSet } from './compare/compare';
export { compareDecimal, formatDecimal, multiply, parseDecimal, subtract, type Decimal } from './compare/decimal';
export { metricDirection, metricPreference, type MetricDirection, type MetricPreference } from './compare/metric-direction';
