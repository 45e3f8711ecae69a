import { createEngineRun } from '../../engine/index';
import { EngineInvariantError } from '../../engine/invariant';
import type { Clock } from '../../platform/clock';
import type { ResultRepository } from '../result/result.repository';
import type { ScenarioRepository } from '../scenario/scenario.repository';
import { validateScenario } from '../../engine/spec/validate';
import type { RunRepository } from './run.repository';
import { toRunResultRecord } from './run-result.mapping';
import { applyOverrides } from './run.service';

/** How an execution ended. `unrecoverable` outcomes must not be retried (same input, same failure). */
export type ExecutionOutcome =
  | { kind: 'succeeded'; resultHash: string; wrote: boolean; operations: number; engineMs: number }
  | { kind: 'skipped'; reason: 'run-missing' | 'already-final' }
  | { kind: 'cancelled'; progress: number }
  | { kind: 'timed-out'; progress: number }
  | { kind: 'failed'; unrecoverable: true; code: string; message: string };

export interface ExecutionHooks {
  /** Called with progress in [0, 1], at most every `progressIntervalMs`. */
  onProgress?(fraction: number): Promise<void> | void;
  /** Wall-clock budget for the engine when neither the run nor its team sets one; past it the run ends TIMED_OUT. */
  readonly timeLimitMs: number;
  readonly progressIntervalMs?: number;
  readonly cancelCheckIntervalMs?: number;
  /** Operations per synchronous engine slice between event-loop turns. */
  readonly sliceOperations?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Executes one run: RUNNING → engine in slices → results in one transaction. Idempotent: a run that
 * is already final is skipped, and results are written only from RUNNING, so a duplicated or retried
 * job never stores a second result set.
 */
export class RunExecutor {
  constructor(
    private readonly runs: RunRepository,
    private readonly scenarios: ScenarioRepository,
    private readonly results: ResultRepository,
    private readonly clock: Clock,
  ) {}

  async execute(runId: string, hooks: ExecutionHooks): Promise<ExecutionOutcome> {
    const run = await this.runs.findForJob(runId);
    if (!run) return { kind: 'skipped', reason: 'run-missing' };
    if (!(await this.runs.markRunning(runId, this.clock.now()))) return { kind: 'skipped', reason: 'already-final' };

    const version = await this.scenarios.findVersion(run.teamId, run.scenarioVersionId);
    const checked = version ? validateScenario(applyOverrides(version.spec, { profile: run.profile, overlays: run.overlays, seed: run.seed })) : undefined;
    if (!checked || !checked.ok) {
      const message = checked ? checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ') : `scenario version ${run.scenarioVersionId} is gone`;
      return this.fail(runId, 'SPEC_INVALID', message);
    }

    const timeLimitMs = (await this.runs.timeLimitFor(runId)) ?? hooks.timeLimitMs;
    const startedMs = Date.now();
    let engineMs = 0;
    const progressIntervalMs = hooks.progressIntervalMs ?? 250;
    const cancelCheckIntervalMs = hooks.cancelCheckIntervalMs ?? 500;
    const sliceOperations = hooks.sliceOperations ?? 20_000;
    let lastProgressMs = 0;
    let lastCancelCheckMs = startedMs;
    try {
      const engineRun = createEngineRun(checked.spec);
      const fraction = (): number => (engineRun.operationsTotal === 0 ? 1 : engineRun.operationsDone / engineRun.operationsTotal);
      const step = (): boolean => {
        const sliceStartMs = performance.now();
        const done = engineRun.step(sliceOperations);
        engineMs += performance.now() - sliceStartMs;
        return done;
      };
      while (!step()) {
        await yieldToEventLoop();
        const nowMs = Date.now();
        if (nowMs - startedMs > timeLimitMs) {
          await this.runs.finishWithoutResult(runId, 'TIMED_OUT', { code: 'TIME_LIMIT', message: `run exceeded its time limit of ${timeLimitMs} ms` }, fraction(), this.clock.now());
          return { kind: 'timed-out', progress: fraction() };
        }
        if (nowMs - lastCancelCheckMs >= cancelCheckIntervalMs) {
          lastCancelCheckMs = nowMs;
          if ((await this.runs.statusOf(runId)) === 'CANCELLED') {
            await this.runs.updateCancelledProgress(runId, fraction());
            return { kind: 'cancelled', progress: fraction() };
          }
        }
        if (nowMs - lastProgressMs >= progressIntervalMs) {
          lastProgressMs = nowMs;
          await this.runs.updateProgress(runId, fraction());
          await hooks.onProgress?.(fraction());
        }
      }
      const finishStartMs = performance.now();
      const report = engineRun.finish();
      engineMs += performance.now() - finishStartMs;
      const wrote = await this.results.saveRunResult(toRunResultRecord(run, report), this.clock.now());
      await hooks.onProgress?.(1);
      return { kind: 'succeeded', resultHash: report.resultHash, wrote, operations: engineRun.operationsDone, engineMs };
    } catch (error: unknown) {
      // The engine is deterministic: a broken invariant fails the same way on every retry.
      if (error instanceof EngineInvariantError) return this.fail(runId, 'ENGINE_INVARIANT', error.message);
      throw error;
    }
  }

  private async fail(runId: string, code: string, message: string): Promise<ExecutionOutcome> {
    await this.runs.finishWithoutResult(runId, 'FAILED', { code, message }, 0, this.clock.now());
    return { kind: 'failed', unrecoverable: true, code, message };
  }
}
