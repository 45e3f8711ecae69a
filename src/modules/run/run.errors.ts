/**
 * Why a run ended FAILED or TIMED_OUT, as stored in `run.error_code`. Typed end to end: the
 * executor writes the code with the status, so nothing downstream parses it back out of a message.
 */
export type RunErrorCode =
  /** The stored spec, with the run's overrides applied, no longer validates. */
  | 'SPEC_INVALID'
  /** The engine broke one of its own invariants (deterministic: a retry fails the same way). */
  | 'ENGINE_INVARIANT'
  /** The run exceeded its time limit. */
  | 'TIME_LIMIT'
  /** The job failed on every attempt for an infrastructure reason (crash, database, Redis). */
  | 'WORKER_FAILED'
  /** The reconciler found the run RUNNING without a job after too many attempts. */
  | 'WORKER_LOST';

/** A run that must not be retried: same input, same failure. Carries the code to store. */
export class RunFailedError extends Error {
  override readonly name = 'RunFailedError';
  constructor(
    readonly code: RunErrorCode,
    message: string,
  ) {
    super(message);
  }
}
