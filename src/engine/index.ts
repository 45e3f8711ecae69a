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
/** The detector registry: class, severity, kernel function and explanation template per V0–V10 / F1–F15. */
export { failureDetectors, violationDetectors, type FailureDetector, type FailureFamily, type ViolationDetector } from './detectors/index';

/** Runs a normalised spec to completion; `onProgress` is called every `progressEveryOps` operations. */
export function runScenario(spec: NormalizedScenario, options: EngineRunOptions & { onProgress?: (fraction: number) => void; progressEveryOps?: number } = {}): EngineReport {
  const run: EngineRun = createEngineRun(spec, options);
  const slice = options.progressEveryOps ?? 50_000;
  while (!run.step(slice)) options.onProgress?.(run.operationsTotal === 0 ? 1 : run.operationsDone / run.operationsTotal);
  options.onProgress?.(1);
  return run.finish();
}
/** What each rule id (A1…, B0…, C1…) and class (V0–V10, F1–F15) means: `dmasim explain`, docs, SARIF rule help. */
export { explainId, legendEntries, type LegendEntry, type LegendKind } from './legend';
