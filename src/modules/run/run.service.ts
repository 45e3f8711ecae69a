import { createHash } from 'node:crypto';
import { canonicalJson, ENGINE_VERSION } from '../../engine/index';
import { AppError, notFound } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { ScenarioService } from '../scenario/scenario.service';
import { splitSpecPath } from '../scenario/scenario.service';
import type { ScenarioVersion, SpecError, SpecValidator } from '../scenario/scenario.types';
import { decodeCursor, type Page, pageSize } from '../common/cursor';
import { requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import type { RunBatchCompleter } from './run.batch';
import { planOfRun, type RunQueue } from './run.queue';
import { applyOverrides, type RunOverrides } from './run-spec';
import type { RunRepository } from './run.repository';
import {
  finalRunStatuses,
  type NewRun,
  type OverlayRef,
  type Run,
  type RunBatchWithRuns,
  type RunFilter,
  type RunStatus,
  type RunTrigger,
} from './run.types';

export interface VersionRef {
  readonly scenarioId?: string | null;
  readonly versionId?: string | null;
}

export type SubmitRunResult = { run: Run; created: boolean } | { userErrors: UserInputError[] };
export type SubmitMatrixResult = { batch: RunBatchWithRuns } | { userErrors: UserInputError[] };

const maxMatrixEntries = 16;

/** The per-team cap on runs waiting in the queue, and how to count them. */
export interface QueueLimit {
  readonly maxQueuedRuns: number;
  queuedRunCount(teamId: string): Promise<number>;
}

/**
 * What an idempotency key promises: the same submission. A hash of everything the caller gave
 * (scenario or version, overrides, trigger, time limit), so a reused key with other input is refused.
 */
function submissionHash(input: {
  readonly scenarioId?: string | null;
  readonly versionId?: string | null;
  readonly overrides?: RunOverrides | null;
  readonly trigger?: RunTrigger | null;
  readonly timeLimitMs?: number | null;
}): string {
  const overrides = input.overrides ?? {};
  const submission = {
    scenarioId: input.scenarioId ?? null,
    versionId: input.versionId ?? null,
    profile: overrides.profile ?? null,
    overlays: overrides.overlays?.map((o) => ({ name: o.name, variant: o.variant ?? null })) ?? null,
    seed: overrides.seed === undefined || overrides.seed === null ? null : String(overrides.seed),
    trigger: input.trigger ?? 'MANUAL',
    timeLimitMs: input.timeLimitMs ?? null,
  };
  return createHash('sha256').update(canonicalJson(submission)).digest('hex');
}

/** The earlier run of a reused key when the submission is the same; IDEMPOTENCY_KEY_REUSED when it differs. */
function sameSubmission(
  existing: { run: Run; inputHash: string | null },
  inputHash: string | null,
  key: string,
): SubmitRunResult {
  // Runs stored before submissions were hashed have no hash: they keep returning their run.
  if (existing.inputHash === null || existing.inputHash === inputHash) return { run: existing.run, created: false };
  return {
    userErrors: [
      {
        path: ['input', 'idempotencyKey'],
        message: `idempotency key '${key}' was used for a different submission (run ${existing.run.id}); use a new key for new input`,
        code: 'IDEMPOTENCY_KEY_REUSED',
      },
    ],
  };
}

/** A promise's value, or what it threw, without throwing: for reads sent together whose errors matter only in turn. */
async function settled<T>(work: Promise<T>): Promise<{ value: T } | { thrown: unknown }> {
  try {
    return { value: await work };
  } catch (error: unknown) {
    return { thrown: error };
  }
}

/** What a version's spec and a run's overrides plan (RunService.specPlan), before team and path. */
type SpecPlan =
  | { readonly ok: true; readonly profile: string; readonly overlays: readonly OverlayRef[]; readonly seed: bigint }
  | { readonly ok: false; readonly errors: readonly SpecError[] };

/** Versions × overrides kept by RunService.specPlan; the map is emptied when it reaches this size. */
const specPlanCacheSize = 1000;

/** Submitting, cancelling, retrying and reading runs. */
export class RunService {
  private readonly specPlans = new Map<string, SpecPlan>();

  constructor(
    private readonly runs: RunRepository,
    private readonly scenarios: ScenarioService,
    private readonly specs: SpecValidator,
    private readonly queue: RunQueue,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Completes a batch when its last run is cancelled from the API. */
    private readonly batches?: RunBatchCompleter,
    private readonly queueLimit?: QueueLimit,
  ) {}

  /** QUEUE_FULL when `adding` more runs would take the team past its queued-run cap (TEAM_MAX_QUEUED_RUNS). */
  private async queueRoom(viewer: Viewer, adding: number, path: string[]): Promise<UserInputError[] | null> {
    if (!this.queueLimit) return null;
    const queued = await this.queueLimit.queuedRunCount(viewer.teamId);
    if (queued + adding <= this.queueLimit.maxQueuedRuns) return null;
    return [
      {
        path,
        message: `the team has ${queued} queued runs; at most ${this.queueLimit.maxQueuedRuns} runs may wait in the queue per team`,
        code: 'QUEUE_FULL',
      },
    ];
  }

  async submit(
    viewer: Viewer,
    input: VersionRef & {
      overrides?: RunOverrides | null;
      idempotencyKey?: string | null;
      trigger?: RunTrigger | null;
      timeLimitMs?: number | null;
    },
  ): Promise<SubmitRunResult> {
    requireRole(viewer, 'member');
    const timeLimitMs = input.timeLimitMs ?? null;
    if (timeLimitMs !== null && (!Number.isInteger(timeLimitMs) || timeLimitMs < 1000 || timeLimitMs > 86_400_000)) {
      return {
        userErrors: [
          { path: ['input', 'timeLimitMs'], message: 'must be 1000-86400000 milliseconds', code: 'INVALID_TIME_LIMIT' },
        ],
      };
    }
    const key = input.idempotencyKey ?? null;
    if (key !== null && (key.length < 1 || key.length > 200))
      return {
        userErrors: [
          { path: ['input', 'idempotencyKey'], message: 'must be 1-200 characters', code: 'INVALID_IDEMPOTENCY_KEY' },
        ],
      };
    const inputHash = key === null ? null : submissionHash(input);
    // The three reads are independent: sent together, they cost one round trip of waiting, not three.
    // Their answers are taken in this order: a reused key returns its run whatever the rest says.
    const [existing, full, resolved] = await Promise.all([
      key === null ? undefined : this.runs.findByIdempotencyKey(viewer.teamId, key),
      this.queueRoom(viewer, 1, ['input']),
      settled(this.resolveVersion(viewer, input)),
    ]);
    if (existing) return sameSubmission(existing, inputHash, key ?? '');
    if (full) return { userErrors: full };
    if ('thrown' in resolved) throw resolved.thrown;
    if ('userErrors' in resolved.value) return resolved.value;
    const version = resolved.value;
    const planned = this.planRun(viewer, version, input.overrides ?? {}, ['input', 'overrides']);
    if ('userErrors' in planned) return planned;
    if (input.trigger === 'BATCH' || input.trigger === 'SCHEDULE')
      return {
        userErrors: [
          {
            path: ['input', 'trigger'],
            message: 'BATCH and SCHEDULE runs are created by batches and schedules',
            code: 'INVALID_TRIGGER',
          },
        ],
      };

    let run: Run;
    try {
      run = await this.runs.insert({
        ...planned,
        trigger: input.trigger ?? 'MANUAL',
        idempotencyKey: key,
        idempotencyInputHash: inputHash,
        timeLimitMs,
      });
    } catch (error: unknown) {
      // Two submissions with the same key raced (the repository reports the unique index as CONFLICT); the loser returns the winner's run.
      const existing =
        key !== null && error instanceof AppError && error.code === 'CONFLICT'
          ? await this.runs.findByIdempotencyKey(viewer.teamId, key)
          : undefined;
      if (existing) return sameSubmission(existing, inputHash, key ?? '');
      throw error;
    }
    await this.enqueue(run);
    return { run, created: true };
  }

  async submitMatrix(
    viewer: Viewer,
    input: VersionRef & {
      entries: ReadonlyArray<{ profile: string; overlays?: readonly OverlayRef[] | null }>;
      seed?: bigint | null;
      /** Caps every run's generated workload (a patch review's `operations`). */
      operationsCap?: number | null;
    },
  ): Promise<SubmitMatrixResult> {
    requireRole(viewer, 'member');
    if (input.entries.length < 1 || input.entries.length > maxMatrixEntries) {
      return {
        userErrors: [
          { path: ['input', 'entries'], message: `give 1-${maxMatrixEntries} entries`, code: 'INVALID_MATRIX' },
        ],
      };
    }
    const resolved = await this.resolveVersion(viewer, input);
    if ('userErrors' in resolved) return resolved;
    const planned = [];
    const userErrors: UserInputError[] = [];
    for (const [index, entry] of input.entries.entries()) {
      const plan = this.planRun(
        viewer,
        resolved,
        {
          profile: entry.profile,
          overlays: entry.overlays ?? [],
          seed: input.seed ?? null,
          operationsCap: input.operationsCap ?? null,
        },
        ['input', 'entries', String(index)],
      );
      if ('userErrors' in plan) userErrors.push(...plan.userErrors);
      else planned.push({ ...plan, trigger: 'BATCH' as const, idempotencyKey: null });
    }
    if (userErrors.length > 0) return { userErrors };
    const full = await this.queueRoom(viewer, planned.length, ['input', 'entries']);
    if (full) return { userErrors: full };
    const { batch, runs } = await this.runs.insertBatch(
      { teamId: viewer.teamId, scenarioId: resolved.scenarioId },
      planned,
    );
    for (const run of runs) await this.enqueue(run);
    return { batch: { ...batch, runs } };
  }

  async cancel(viewer: Viewer, id: string): Promise<Run> {
    requireRole(viewer, 'member');
    const before = await this.runs.findById(viewer.teamId, id);
    if (!before) throw notFound('run', id);
    if (finalRunStatuses.has(before.status)) return before;
    if (before.status === 'QUEUED') await this.queue.remove(id);
    const after = await this.runs.cancel(viewer.teamId, id, this.clock.now());
    if (!after) throw notFound('run', id);
    // A RUNNING run's worker completes the batch when its job ends; a QUEUED run has no job left to do so.
    if (before.status === 'QUEUED' && after.batchId) await this.batches?.completeBatchIfDone(after.batchId);
    return after;
  }

  async retry(viewer: Viewer, id: string): Promise<Run> {
    requireRole(viewer, 'member');
    const previous = await this.runs.findById(viewer.teamId, id);
    if (!previous) throw notFound('run', id);
    if (!finalRunStatuses.has(previous.status))
      throw new AppError('BAD_USER_INPUT', `run ${id} is ${previous.status}; only finished runs can be retried`);
    const run = await this.runs.insert({
      teamId: previous.teamId,
      scenarioId: previous.scenarioId,
      scenarioVersionId: previous.scenarioVersionId,
      profile: previous.profile,
      overlays: previous.overlays,
      seed: previous.seed,
      engineVersion: ENGINE_VERSION,
      trigger: previous.trigger === 'BATCH' ? 'MANUAL' : previous.trigger,
      idempotencyKey: null,
      timeLimitMs: previous.timeLimitMs,
      operationsCap: previous.operationsCap,
    });
    await this.enqueue(run);
    return run;
  }

  get(viewer: Viewer, id: string): Promise<Run | undefined> {
    return this.runs.findById(viewer.teamId, id);
  }

  async getOrThrow(viewer: Viewer, id: string): Promise<Run> {
    const run = await this.runs.findById(viewer.teamId, id);
    if (!run) throw notFound('run', id);
    return run;
  }

  list(
    viewer: Viewer,
    filter: RunFilter,
    sort: 'CREATED_AT_DESC' | 'CREATED_AT_ASC',
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Page<Run>> {
    return this.runs.list(
      viewer.teamId,
      filter,
      sort === 'CREATED_AT_ASC' ? 'asc' : 'desc',
      pageSize(first, 20),
      after ? decodeCursor(after) : undefined,
    );
  }

  async batch(viewer: Viewer, id: string): Promise<RunBatchWithRuns | undefined> {
    const batch = await this.runs.findBatch(viewer.teamId, id);
    if (!batch) return undefined;
    const runs = await this.runs.listBatchRuns(viewer.teamId, id);
    return { ...batch, status: batchStatus(runs.map((r) => r.status)), runs };
  }

  /** Enqueues a stored run. If Redis refuses, the run stays QUEUED and the reconciler enqueues it later. */
  private async enqueue(run: Run): Promise<void> {
    try {
      await this.queue.enqueue({ runId: run.id, teamId: run.teamId, plan: planOfRun(run) });
    } catch (error: unknown) {
      this.logger.warn({ err: error, runId: run.id }, 'enqueue failed; run stays QUEUED for the reconciler');
    }
  }

  private async resolveVersion(
    viewer: Viewer,
    ref: VersionRef,
  ): Promise<ScenarioVersion | { userErrors: UserInputError[] }> {
    if (Boolean(ref.scenarioId) === Boolean(ref.versionId)) {
      return {
        userErrors: [
          { path: ['input'], message: 'give exactly one of scenarioId and versionId', code: 'INVALID_TARGET' },
        ],
      };
    }
    const { version, scenarioName, scenarioArchived } = await this.scenarios.versionToRun(
      viewer,
      ref.versionId ? { versionId: ref.versionId } : { scenarioId: ref.scenarioId! },
    );
    if (scenarioArchived)
      return {
        userErrors: [{ path: ['input'], message: `scenario ${scenarioName} is archived`, code: 'SCENARIO_ARCHIVED' }],
      };
    return version;
  }

  /** Applies overrides to the stored spec and re-validates it, so a bad profile is an input error now, not a failed run later. */
  private planRun(
    viewer: Viewer,
    version: ScenarioVersion,
    overrides: RunOverrides,
    errorPath: string[],
  ): Omit<NewRun, 'trigger' | 'idempotencyKey'> | { userErrors: UserInputError[] } {
    const plan = this.specPlan(version, overrides);
    if (!plan.ok) {
      return {
        userErrors: plan.errors.map((e) => ({
          path: [...errorPath, ...splitSpecPath(e.path)],
          message: e.message,
          code: 'INVALID_OVERRIDE',
        })),
      };
    }
    return {
      teamId: viewer.teamId,
      scenarioId: version.scenarioId,
      scenarioVersionId: version.id,
      profile: plan.profile,
      overlays: plan.overlays.map((overlay) => ({ ...overlay })),
      seed: plan.seed,
      engineVersion: ENGINE_VERSION,
      operationsCap: overrides.operationsCap ?? null,
    };
  }

  /**
   * A version's spec with the run's overrides applied and validated, reduced to what a run row
   * needs. A stored version never changes, so the answer is kept per version and overrides
   * (bounded): validating the spec again on every submission was the largest piece of the API's
   * own work per submitted run in bench:pipeline's CPU profile (about 4 % of the process).
   */
  private specPlan(version: ScenarioVersion, overrides: RunOverrides): SpecPlan {
    const key = `${version.id}\u0000${canonicalJson(overrides)}`;
    const known = this.specPlans.get(key);
    if (known) return known;
    const spec = applyOverrides(version.spec, overrides);
    const checked = this.specs.validate(spec);
    let plan: SpecPlan;
    if (!checked.ok) plan = { ok: false, errors: checked.errors };
    else {
      const kernel = (spec['kernel'] ?? {}) as { profile?: unknown; overlays?: unknown };
      const workload = (spec['workload'] ?? {}) as { seed?: unknown };
      plan = {
        ok: true,
        profile: String(kernel.profile ?? ''),
        overlays: normalizeOverlays(kernel.overlays),
        seed: BigInt(typeof workload.seed === 'number' || typeof workload.seed === 'string' ? workload.seed : 0),
      };
    }
    if (this.specPlans.size >= specPlanCacheSize) this.specPlans.clear();
    this.specPlans.set(key, plan);
    return plan;
  }
}

function normalizeOverlays(value: unknown): OverlayRef[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) =>
    typeof item === 'string'
      ? { name: item }
      : {
          name: String((item as OverlayRef).name),
          ...((item as OverlayRef).variant ? { variant: (item as OverlayRef).variant } : {}),
        },
  );
}

/** A batch's status, derived from its runs'. */
export function batchStatus(statuses: readonly RunStatus[]): RunStatus {
  if (statuses.length === 0 || statuses.every((s) => s === 'QUEUED')) return 'QUEUED';
  if (!statuses.every((s) => finalRunStatuses.has(s))) return 'RUNNING';
  return statuses.every((s) => s === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED';
}
