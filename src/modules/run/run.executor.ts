import type { Clock } from '../../platform/clock';
import type { RunResultRecord, StoredRunResult } from '../result/result.types';
import type { NormalizedSpec, ScenarioVersion, SpecCheck, SpecValidator } from '../scenario/scenario.types';
import { type RunErrorCode, RunFailedError } from './run.errors';
import type { RunJobPlan } from './run.queue';
import type { RunRepository } from './run.repository';
import type { Run } from './run.types';
import { toRunResultRecord } from './run-result.mapping';
import { runEngineInSlices, specOfRun } from './run-spec';

/** How an execution ended. `failed` outcomes must not be retried (same input, same failure); the run row already holds the code. */
export type ExecutionOutcome =
  | {
      kind: 'succeeded';
      resultHash: string;
      /** When the result transaction stamped the run SUCCEEDED; undefined when another execution already had. */
      finishedAt: Date | undefined;
      /** What the worker's bookkeeping needs of the run, so it does not read the run again. */
      run: { createdAt: Date; startedAt: Date | null; batchId: string | null };
      operations: number;
      engineMs: number;
    }
  | { kind: 'skipped'; reason: 'run-missing' | 'already-final' }
  | { kind: 'cancelled'; progress: number }
  | { kind: 'timed-out'; progress: number }
  | { kind: 'failed'; unrecoverable: true; code: RunErrorCode; message: string };

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

/** Where the executor reads a run's scenario version (implemented by the scenario repository). */
export interface ScenarioVersionReader {
  findVersion(teamId: string, versionId: string): Promise<ScenarioVersion | undefined>;
}

/** Where the executor stores a finished run's results in one transaction (implemented by the result repository). */
export interface RunResultWriter {
  /** What was stored; undefined when the run was no longer RUNNING, so nothing was written. */
  saveRunResult(record: RunResultRecord): Promise<StoredRunResult | undefined>;
}

/** Scenario versions are immutable, so a processor thread keeps the ones it has read (bounded). */
const versionCacheSize = 256;
/** Checked specs kept per version and run overrides (bounded, like the versions). */
const specCacheSize = 256;

/**
 * Executes one run: RUNNING → engine in slices → results in one transaction. Idempotent: a run that
 * is already final is skipped, and results are written only from RUNNING, so a duplicated or retried
 * job never stores a second result set. FAILED is written here, once, with its code.
 */
export class RunExecutor {
  constructor(
    private readonly runs: RunRepository,
    private readonly versions: ScenarioVersionReader,
    private readonly specs: SpecValidator,
    private readonly results: RunResultWriter,
    private readonly clock: Clock,
  ) {}

  private readonly versionCache = new Map<string, ScenarioVersion>();
  /**
   * The check of a version's spec with a run's overrides, by version and overrides: a version never
   * changes and the check is deterministic, so runs of the same version, kernel, overlays, seed and
   * cap (a team's repeated runs, a suite's schedule) are checked once per thread. The check (schema
   * validation and a deep copy) cost about a tenth of a 200-operation run's CPU in this thread.
   * A kept spec is deep-frozen: runs share it, and the engine only reads its spec.
   */
  private readonly specCache = new Map<string, SpecCheck>();

  /**
   * With the job's `plan` the engine starts while the RUNNING write is in flight, so that round
   * trip overlaps the spec check and the engine instead of preceding them. Nothing is stored and no
   * progress written before PostgreSQL has answered that the run is RUNNING: a run found final or
   * gone by then is skipped with the engine's work discarded. A plan that the stored run contradicts
   * (not expected: a run's inputs never change) is set aside and the run executes from its row, as
   * it does without a plan or when the plan's spec does not check.
   */
  async execute(runId: string, hooks: ExecutionHooks, plan?: RunJobPlan): Promise<ExecutionOutcome> {
    const starting = this.runs.startForJob(runId, this.clock.now());
    if (plan) {
      starting.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      const outcome = await this.executePlanned(runId, plan, starting, hooks);
      if (outcome !== 'plan-set-aside') return outcome;
    }
    const started = await starting;
    if (!started) return this.skipped(runId);
    const { run } = started;
    try {
      const version = await this.version(run.teamId, run.scenarioVersionId);
      if (!version) throw new RunFailedError('SPEC_INVALID', `scenario version ${run.scenarioVersionId} is gone`);
      const checked = this.checkedSpec(version, run);
      if (!checked.ok)
        throw new RunFailedError('SPEC_INVALID', checked.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
      const outcome = await this.runEngine(runId, checked.spec, Promise.resolve(started), hooks);
      // Without a plan there is nothing to contradict: this would be a bug in runEngine.
      if (outcome === 'plan-contradicted') throw new Error('an execution without a plan reported a contradicted plan');
      return outcome;
    } catch (error: unknown) {
      if (!(error instanceof RunFailedError)) throw error;
      return this.fail(runId, error);
    }
  }

  /**
   * Executes from the job's plan; 'plan-set-aside' when the stored run must decide instead: the
   * plan's spec does not check, the stored run contradicts the plan, or the engine failed on a run
   * this execution did not start (final meanwhile: the stored run's path skips it).
   */
  private async executePlanned(
    runId: string,
    plan: RunJobPlan,
    starting: Promise<StartedRun | undefined>,
    hooks: ExecutionHooks,
  ): Promise<ExecutionOutcome | 'plan-set-aside'> {
    const spec = await this.specOfPlan(plan);
    if (!spec) return 'plan-set-aside';
    try {
      const outcome = await this.runEngine(runId, spec, starting, hooks, plan);
      return outcome === 'plan-contradicted' ? 'plan-set-aside' : outcome;
    } catch (error: unknown) {
      if (!(error instanceof RunFailedError)) throw error;
      // An engine failure (ENGINE_INVARIANT) is the run's own only once PostgreSQL says it is RUNNING.
      const started = await starting;
      if (!started || !planMatches(plan, started.run)) return 'plan-set-aside';
      return this.fail(runId, error);
    }
  }

  /** Stores FAILED with the error's code (never retried: same input, same failure). */
  private async fail(runId: string, error: RunFailedError): Promise<ExecutionOutcome> {
    await this.runs.finishWithoutResult(
      runId,
      'FAILED',
      { code: error.code, message: error.message },
      0,
      this.clock.now(),
    );
    return { kind: 'failed', unrecoverable: true, code: error.code, message: error.message };
  }

  /** The checked spec a job's plan describes; undefined when its version is gone or its spec does not check. */
  private async specOfPlan(plan: RunJobPlan): Promise<NormalizedSpec | undefined> {
    const version = await this.version(plan.teamId, plan.scenarioVersionId);
    if (!version) return undefined;
    const checked = this.checkedSpec(version, {
      profile: plan.profile,
      overlays: plan.overlays,
      seed: BigInt(plan.seed),
      operationsCap: plan.operationsCap,
    });
    return checked.ok ? checked.spec : undefined;
  }

  /** specOfRun, kept per version and overrides (specCache). */
  private checkedSpec(version: ScenarioVersion, run: Parameters<typeof specOfRun>[2]): SpecCheck {
    const key = [
      version.id,
      run.profile,
      JSON.stringify(run.overlays),
      run.seed.toString(),
      String(run.operationsCap ?? ''),
    ].join('\u0000');
    const known = this.specCache.get(key);
    if (known) return known;
    const checked = specOfRun(this.specs, version.spec, run);
    if (checked.ok) deepFreeze(checked.spec);
    if (this.specCache.size >= specCacheSize) this.specCache.clear();
    this.specCache.set(key, checked);
    return checked;
  }

  private async skipped(runId: string): Promise<ExecutionOutcome> {
    const status = await this.runs.statusOf(runId);
    return { kind: 'skipped', reason: status === undefined ? 'run-missing' : 'already-final' };
  }

  private async version(teamId: string, versionId: string): Promise<ScenarioVersion | undefined> {
    const cached = this.versionCache.get(versionId);
    if (cached && cached.teamId === teamId) return cached;
    const version = await this.versions.findVersion(teamId, versionId);
    if (version) {
      if (this.versionCache.size >= versionCacheSize) this.versionCache.clear();
      this.versionCache.set(versionId, version);
    }
    return version;
  }

  /**
   * Steps the engine, checking the time limit, cancellation and progress between slices, then stores
   * the results. `start` is the run's RUNNING write, awaited before the first check between slices
   * (the time limit depends on the run's team) or, for a run of one slice, after the engine.
   */
  private async runEngine(
    runId: string,
    spec: NormalizedSpec,
    start: Promise<StartedRun | undefined>,
    hooks: ExecutionHooks,
    plan?: RunJobPlan,
  ): Promise<ExecutionOutcome | 'plan-contradicted'> {
    const startedMs = this.clock.now().getTime();
    const progressIntervalMs = hooks.progressIntervalMs ?? 250;
    const cancelCheckIntervalMs = hooks.cancelCheckIntervalMs ?? 500;
    let lastProgressMs = 0;
    let lastCancelCheckMs = startedMs;
    // Why the slices stopped (a closure sets it; an object, so the checks below are not narrowed away).
    const stop: { by: 'timed-out' | 'cancelled' | 'not-started' | 'plan-contradicted' } = { by: 'cancelled' };
    let started: StartedRun | undefined;
    /** The RUNNING write's answer: false (after setting stop.by) when the run must not go on. */
    const confirmStart = async (): Promise<boolean> => {
      if (started) return true;
      const answer = await start;
      if (!answer) stop.by = 'not-started';
      else if (plan && !planMatches(plan, answer.run)) stop.by = 'plan-contradicted';
      else started = answer;
      return started !== undefined;
    };
    const sliced = await runEngineInSlices(spec, hooks.sliceOperations ?? 20_000, async (fraction) => {
      if (!(await confirmStart())) return true;
      const run = started!.run;
      const timeLimitMs = run.timeLimitMs ?? started!.teamTimeLimitMs ?? hooks.timeLimitMs;
      const nowMs = this.clock.now().getTime();
      if (nowMs - startedMs > timeLimitMs) {
        await this.runs.finishWithoutResult(
          runId,
          'TIMED_OUT',
          { code: 'TIME_LIMIT' satisfies RunErrorCode, message: `run exceeded its time limit of ${timeLimitMs} ms` },
          fraction,
          this.clock.now(),
        );
        stop.by = 'timed-out';
        return true;
      }
      if (nowMs - lastCancelCheckMs >= cancelCheckIntervalMs) {
        lastCancelCheckMs = nowMs;
        if ((await this.runs.statusOf(runId)) === 'CANCELLED') {
          await this.runs.updateCancelledProgress(runId, fraction);
          return true;
        }
      }
      if (nowMs - lastProgressMs >= progressIntervalMs) {
        lastProgressMs = nowMs;
        await this.runs.updateProgress(runId, fraction, this.clock.now());
        await hooks.onProgress?.(fraction);
      }
      return false;
    });
    if (sliced.kind === 'finished') await confirmStart();
    if (stop.by === 'not-started') return this.skipped(runId);
    if (stop.by === 'plan-contradicted') return 'plan-contradicted';
    if (sliced.kind === 'stopped') return { kind: stop.by, progress: sliced.fraction };
    const { run } = started!;
    // No progress(1) after this: the result's commit notifies subscribers and the job's completion
    // follows, so a last progress write would be one more Redis round trip per run with nothing new.
    const written = await this.results.saveRunResult(toRunResultRecord(run, sliced.report));
    return {
      kind: 'succeeded',
      resultHash: sliced.report.resultHash,
      finishedAt: written?.finishedAt,
      run: { createdAt: run.createdAt, startedAt: run.startedAt, batchId: run.batchId },
      operations: sliced.operations,
      engineMs: sliced.engineMs,
    };
  }
}

/** The RUNNING write's answer: the run as stored and its team's default time limit. */
type StartedRun = { run: Run; teamTimeLimitMs: number | null };

/** Whether the stored run is the one the job's plan describes. */
function planMatches(plan: RunJobPlan, run: Run): boolean {
  return (
    plan.teamId === run.teamId &&
    plan.scenarioVersionId === run.scenarioVersionId &&
    plan.profile === run.profile &&
    plan.seed === run.seed.toString() &&
    plan.operationsCap === run.operationsCap &&
    JSON.stringify(plan.overlays) === JSON.stringify(run.overlays)
  );
}

/** Freezes `value` and everything reachable from it (plain objects and arrays: a checked spec). */
export function deepFreeze<T>(value: T): T {
  // Typed arrays cannot be frozen (nor does a checked spec hold any).
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const item of Object.values(value as Record<string, unknown>)) deepFreeze(item);
  }
  return value;
}
