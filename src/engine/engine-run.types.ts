import type { EngineReport } from './report/report.types';

/**
 * How callers drive the engine. A run is stepped in bounded slices so that a worker can yield to
 * its event loop between slices (to record progress, notice cancellation, enforce a time limit)
 * while the engine itself stays synchronous and free of timers (docs/engine-contract.md §1).
 */
export interface EngineRun {
  /** Executes up to `maxOperations` more operations; returns true when the workload is complete. */
  step(maxOperations: number): boolean;
  /** Operations executed so far. */
  readonly operationsDone: number;
  /** Operations the workload will execute in total. */
  readonly operationsTotal: number;
  /** The report of everything executed so far (call after the last step for the full report). */
  finish(): EngineReport;
}
