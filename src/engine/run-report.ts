import type { NormalizedScenario } from './spec/normalize';
import type { EngineReport } from './report/report.types';
import { createEngineRun } from './run/engine-run';

/**
 * Runs a spec to completion with no progress reporting: the search loops of advise and minimize
 * call the engine hundreds of times. (Not runScenario from index.ts: importing the entry point
 * from modules it re-exports would be an import cycle.)
 */
export function runToReport(spec: NormalizedScenario): EngineReport {
  const run = createEngineRun(spec);
  while (!run.step(100_000));
  return run.finish();
}
