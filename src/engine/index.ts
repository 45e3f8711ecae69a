/**
 * The engine's public entry point (docs/engine-contract.md §1): pure, synchronous, deterministic. Callers step an
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
/** The verdict model: ordered levels and counts of a report's findings, and CI gates over them. */
export {
  findingMeetsGate,
  type FindingGate,
  type GateParse,
  parseFindingGate,
  severityLevels,
  summarizeFindings,
  summaryMeetsGate,
  verdictLevels,
  type VerdictSummary,
} from './report/verdict';
/** The overlay registry: per overlay its variants, each with a one-line description and its hunks (kernel function each changes). */
export {
  activeHunks,
  overlays,
  overlayApplicationOrder,
  type Overlay,
  type OverlayHunk,
  type OverlayVariant,
} from './overlays/index';
/** Overlay hunk switching: `variant(+hunk|-hunk)*` parsing and the hunk ids per overlay. */
export { deviceCcAcceptedHunkIds, overlayHunkIds, parseOverlayVariant, type ParsedVariant } from './spec/overlay-hunks';
export { normalizeOverlay } from './spec/normalize';
/** The detector registry: class, severity, kernel function and explanation template per V0–V9 / F1–F16. */
export {
  failureDetectors,
  violationDetectors,
  type FailureDetector,
  type FailureFamily,
  type ViolationDetector,
} from './detectors/index';
// The rest of the face: everything code outside src/engine may use (lint-enforced; tests may reach inside).
/** Validation of scenario specs, and the names and kernels they may use. */
export {
  validateScenario,
  formatPath,
  type NormalizedDevice,
  type NormalizedOverlay,
  type NormalizedScenario,
  type ScenarioSpec,
  type ScenarioValidation,
  type SpecIssue,
} from './spec/validate';
export { kernelProfileIds, overlayIds, overlayVariants, type KernelProfileId, type OverlayId } from './spec/names';
export { kernelProfileProblem, resolveKernel, type ResolvedKernel } from './spec/release';
/** Errors the engine throws. */
export { EngineInvariantError } from './invariant';
/** Canonical JSON: the byte form every engine hash is taken over. */
export { canonicalJson } from './canonical-json';
/** Report rendering (Markdown, and the number formats the CLI's text view shares). */
export {
  formatBytes,
  formatCount,
  formatMetric,
  headlineMetrics,
  kernelLabel,
  renderMatrixMarkdown,
  renderReportMarkdown,
  verdictLine,
} from './report/markdown';
/** SWIOTLB allocator trace replay (`dmasim swiotlb-replay`, the demo). */
export { isReplayError, replayTrace, startReplay, type ReplayError, type ReplaySession } from './swiotlb/index';
/** Side-by-side comparison of reports of one spec under several kernels (`dmasim run --matrix`). */
export type { MatrixColumn, MatrixComparison, MatrixFindingRow } from './report/matrix';
export { compareReports, reportResultSet, type MatrixWithChanges } from './compare/matrix';

/** Runs a normalised spec to completion; `onProgress` is called every `progressEveryOps` operations. */
export function runScenario(
  spec: NormalizedScenario,
  options: EngineRunOptions & { onProgress?: (fraction: number) => void; progressEveryOps?: number } = {},
): EngineReport {
  const run: EngineRun = createEngineRun(spec, options);
  const slice = options.progressEveryOps ?? 50_000;
  while (!run.step(slice))
    options.onProgress?.(run.operationsTotal === 0 ? 1 : run.operationsDone / run.operationsTotal);
  options.onProgress?.(1);
  return run.finish();
}

/** Trace import: kernel dma/swiotlb tracepoint text → an explicit-op spec (pure: callers stream the lines in). */
export {
  buildImportedSpec,
  type DataRule,
  type DeviceMapping,
  importedSpecFrame,
  importHeaderYaml,
  type ImportedDevice,
  type ImportedOp,
  type ImportedVmOptions,
  importTraceLines,
  importTraceText,
  opYamlLine,
  parseDataRules,
  parseDeviceMap,
  renderTrace,
  specFrameYaml,
  type TraceError,
  TraceImporter,
  type TraceImportOptions,
  type TraceImportResult,
  type TraceImportSummary,
  TraceRenderer,
  type TraceShape,
} from './trace/index';
/** Pool sizing: smallest swiotlb= / coherent_pool= without F1 / F7, searched over the engine. */
export {
  type AdviseOptions,
  type AdviseResult,
  advisePools,
  type PoolAdvice,
  type ProfileAdvice,
} from './advise/advise';
/** Minimal reproducers: ddmin of a spec down to the ops that still show one finding. */
export {
  type FindingSelector,
  matchingFindings,
  minimizeFinding,
  type MinimizeOptions,
  type MinimizeResult,
  type MinimizeSuccess,
  parseFindingSelector,
  renderReproducer,
} from './minimize/index';
/** What each rule id (A1…, B0…, C1…) and class (V0–V9, F1–F16) means: `dmasim explain`, docs, SARIF rule help. */
export { explainId, legendEntries, type LegendEntry, type LegendKind } from './legend';
/** The one comparison of result sets: findings paired by fingerprint and exposure, metric deltas with a direction. */
export {
  compareFindings,
  compareMetrics,
  compareResultSets,
  exposureKey,
  findingRows,
  metricRows,
  type ColumnComparison,
  type ComparableFinding,
  type ComparedFinding,
  type CompareOptions,
  type FindingCell,
  type FindingRow,
  type FindingStatus,
  type MetricDelta,
  type MetricRow,
  type ResultSet,
} from './compare/compare';
export {
  changedFindingLines,
  classDeltas,
  type ClassDelta,
  comparisonLine,
  countStatuses,
  findingClassDeltas,
  type StatusCounts,
} from './compare/summary';
export { compareDecimal, formatDecimal, multiply, parseDecimal, subtract, type Decimal } from './compare/decimal';
export {
  metricDirection,
  metricPreference,
  type MetricDirection,
  type MetricPreference,
} from './compare/metric-direction';
/** Catalogues for `dmasim profiles`/`overlays`/`schema` and the generated docs pages. */
export { platforms } from './platforms/index';
export { kernelProfiles } from './profiles/index';
export { scenarioJsonSchemaText } from './spec/json-schema';
export { platformIds, type PlatformId } from './spec/names';
export { nearestKey } from './spec/nearest';
export { specLimits } from './spec/scenario.schema';
/** The reviewer's answer for a kernel change (`dmasim review`): fixed/left/new findings, costs and a one-sentence verdict. */
export {
  formatReviewDelta,
  reviewMemoryKeys,
  reviewProbeKernels,
  reviewScenario,
  reviewSentence,
  reviewTotals,
  type ReviewCost,
  type ReviewExposure,
  type ReviewFailure,
  type ReviewProbe,
  type ReviewSkipped,
  type ReviewTotals,
  type ScenarioReview,
} from './compare/review';
export { type PatchReviewDocument, renderReviewMarkdown } from './report/review-markdown';
/** Kernel entries `profile[+overlay[:variant][+hunk|-hunk]...]...` (matrix columns, review kernels). */
export {
  type KernelEntry,
  type KernelEntryParse,
  type OverlayParse,
  parseKernelEntry,
  parseOverlayText,
  writtenOverlay,
} from './spec/kernel-entry';
