import { createHash } from 'node:crypto';
import { canonicalJson, parseDecimal } from '../../engine/index';
import { notFound } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { RunForComparison } from '../run/run-reader.repository';
import { batchStatus, type RunService } from '../run/run.service';
import { finalRunStatuses, type OverlayRef, type RunStatus } from '../run/run.types';
import type { ScenarioService } from '../scenario/scenario.service';
import { type Outcome, rejected, requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import { compareBatches } from './comparison';
import type {
  BaselinePolicy,
  ComparedRun,
  MetricThreshold,
  StoredComparison,
  Suite,
  SuiteBatch,
  SuiteBatchTrigger,
  SuiteEntry,
  TriageDecision,
} from './regression.types';
import type { PlanItem, SuiteRepository } from './suite.repository';

export interface SuiteInput {
  readonly name: string;
  readonly description?: string | null;
  readonly scenarioIds: readonly string[];
  readonly entries: ReadonlyArray<{ name?: string | null; profile: string; overlays?: readonly OverlayRef[] | null }>;
  readonly seed?: bigint | null;
  readonly baselinePolicy?: BaselinePolicy | null;
  readonly baselineBatchId?: string | null;
  readonly baselineTag?: string | null;
  readonly thresholds?: readonly MetricThreshold[] | null;
}

/** What the suite service reads of runs (implemented by the run module's RunReaderRepository). */
export interface SuiteRunReader {
  runsForComparison(teamId: string, runIds: readonly string[]): Promise<RunForComparison[]>;
  runStatuses(teamId: string, runIds: readonly string[]): Promise<RunStatus[]>;
  queuedRunCount(teamId: string): Promise<number>;
}

/** How many QUEUED runs a team may have (TEAM_MAX_QUEUED_RUNS). */
export interface SuiteLimits {
  readonly maxQueuedRuns: number;
}

/** The code of a suite batch refused because the team's queue is full (a schedule firing records it as QUEUE_FULL). */
export const queueFullCode = 'QUEUE_FULL';

/** What a comparison reads of a fingerprint's past (implemented by the triage module's FindingHistoryRepository). */
export interface FindingHistoryReader {
  triageFor(teamId: string, fingerprints: readonly string[]): Promise<Map<string, TriageDecision>>;
  fingerprintsSeenBefore(
    teamId: string,
    fingerprints: readonly string[],
    excludeRunIds: readonly string[],
    before: Date,
  ): Promise<Set<string>>;
}

/** Told once per stored comparison (the webhook service enqueues its deliveries). */
export interface ComparisonNotifier {
  comparisonStored(suite: Suite, comparison: StoredComparison): Promise<void>;
}

const maxScenarios = 50;
const maxEntries = 16;

/**
 * Suites, their batches and baselines, and the comparison of a finished batch with its baseline.
 * A suite batch is one matrix per scenario submitted through the run service; runs, triage and
 * fingerprint history are read through the readers the composition root injects.
 */
export class SuiteService {
  constructor(
    private readonly repo: SuiteRepository,
    private readonly runs: RunService,
    private readonly scenarios: ScenarioService,
    private readonly runReader: SuiteRunReader,
    private readonly history: FindingHistoryReader,
    private readonly notifier: ComparisonNotifier,
    private readonly clock: Clock,
    private readonly limits: SuiteLimits,
  ) {}

  async createSuite(viewer: Viewer, input: SuiteInput): Promise<Outcome<Suite>> {
    requireRole(viewer, 'member');
    const checked = await this.checkSuite(viewer, input);
    if ('userErrors' in checked) return checked;
    if (await this.repo.findSuiteByName(viewer.teamId, checked.name))
      return rejected(['input', 'name'], `a suite named ${checked.name} exists`, 'NAME_TAKEN');
    return this.repo.insertSuite(checked);
  }

  async updateSuite(viewer: Viewer, id: string, input: SuiteInput): Promise<Outcome<Suite>> {
    requireRole(viewer, 'member');
    const before = await this.suiteOrThrow(viewer, id);
    const checked = await this.checkSuite(viewer, input);
    if ('userErrors' in checked) return checked;
    const other = await this.repo.findSuiteByName(viewer.teamId, checked.name);
    if (other && other.id !== before.id)
      return rejected(['input', 'name'], `a suite named ${checked.name} exists`, 'NAME_TAKEN');
    return (await this.repo.updateSuite(viewer.teamId, id, checked, this.clock.now())) ?? before;
  }

  suite(viewer: Viewer, id: string): Promise<Suite | undefined> {
    return this.repo.findSuite(viewer.teamId, id);
  }

  suiteByName(viewer: Viewer, name: string): Promise<Suite | undefined> {
    return this.repo.findSuiteByName(viewer.teamId, name);
  }

  suites(viewer: Viewer): Promise<Suite[]> {
    return this.repo.listSuites(viewer.teamId);
  }

  async suiteOrThrow(viewer: Viewer, id: string): Promise<Suite> {
    const suite = await this.repo.findSuite(viewer.teamId, id);
    if (!suite) throw notFound('suite', id);
    return suite;
  }

  private async checkSuite(
    viewer: Viewer,
    input: SuiteInput,
  ): Promise<Outcome<Omit<Suite, 'id' | 'createdAt' | 'updatedAt'>>> {
    const errors: UserInputError[] = [];
    const name = input.name.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name))
      errors.push({ path: ['input', 'name'], message: 'use 1-100 letters, digits, . _ -', code: 'INVALID_NAME' });
    const scenarioIds = [...new Set(input.scenarioIds)];
    if (scenarioIds.length < 1 || scenarioIds.length > maxScenarios)
      errors.push({
        path: ['input', 'scenarioIds'],
        message: `give 1-${maxScenarios} scenarios`,
        code: 'INVALID_SUITE',
      });
    for (const [index, id] of scenarioIds.entries()) {
      if (!(await this.scenarios.get(viewer, id)))
        errors.push({
          path: ['input', 'scenarioIds', String(index)],
          message: `scenario ${id} not found`,
          code: 'NOT_FOUND',
        });
    }
    const entries = suiteEntries(input.entries);
    errors.push(...entryErrors(entries));
    const thresholds = input.thresholds ?? [];
    errors.push(...thresholdErrors(thresholds));
    const policy = input.baselinePolicy ?? 'LAST_ACCEPTED';
    if (
      policy === 'PINNED' &&
      !(input.baselineBatchId && (await this.repo.findSuiteBatch(viewer.teamId, input.baselineBatchId)))
    )
      errors.push({
        path: ['input', 'baselineBatchId'],
        message: 'PINNED needs a batch of this team',
        code: 'INVALID_BASELINE',
      });
    if (policy === 'TAG' && !input.baselineTag)
      errors.push({ path: ['input', 'baselineTag'], message: 'TAG needs a baselineTag', code: 'INVALID_BASELINE' });
    if (errors.length > 0) return { userErrors: errors };
    return {
      teamId: viewer.teamId,
      name,
      description: input.description ?? '',
      scenarioIds,
      entries,
      seed: input.seed ?? null,
      baselinePolicy: policy,
      baselineBatchId: policy === 'PINNED' ? (input.baselineBatchId ?? null) : null,
      baselineTag: policy === 'TAG' ? (input.baselineTag ?? null) : null,
      thresholds: thresholds.map((t) => ({
        metric: t.metric.trim(),
        maxIncrease: t.maxIncrease ?? null,
        maxIncreasePercent: t.maxIncreasePercent ?? null,
        max: t.max ?? null,
      })),
    };
  }

  // ---- batches -----------------------------------------------------------------------------

  /**
   * Submits one matrix per scenario through the run service and records them as one suite batch.
   * Refused (QUEUE_FULL) when the team's queued runs plus this batch's would exceed the cap; checked
   * before submitting, so concurrent submissions can overshoot it by one batch.
   */
  async runSuite(
    viewer: Viewer,
    input: {
      suiteId: string;
      trigger?: SuiteBatchTrigger | null;
      tags?: readonly string[] | null;
      scheduleId?: string | null;
    },
  ): Promise<Outcome<SuiteBatch>> {
    requireRole(viewer, 'member');
    const suite = await this.suiteOrThrow(viewer, input.suiteId);
    const queued = await this.runReader.queuedRunCount(viewer.teamId);
    const adding = suite.scenarioIds.length * suite.entries.length;
    if (queued + adding > this.limits.maxQueuedRuns)
      return rejected(
        ['input', 'suiteId'],
        `the team has ${queued} queued runs and this suite adds ${adding}; at most ${this.limits.maxQueuedRuns} runs may wait in the queue per team`,
        queueFullCode,
      );
    const runBatchIds: string[] = [];
    const plan: PlanItem[] = [];
    for (const scenarioId of suite.scenarioIds) {
      const submitted = await this.runs.submitMatrix(viewer, {
        scenarioId,
        entries: suite.entries.map((e) => ({ profile: e.profile, overlays: e.overlays })),
        seed: suite.seed,
      });
      if ('userErrors' in submitted)
        return {
          userErrors: submitted.userErrors.map((e) => ({ ...e, path: ['suite', scenarioId, ...e.path.slice(1)] })),
        };
      runBatchIds.push(submitted.batch.id);
      submitted.batch.runs.forEach((run, index) =>
        plan.push({ runId: run.id, scenarioId, entryName: suite.entries[index]?.name ?? run.profile }),
      );
    }
    const tags = [...new Set((input.tags ?? []).map((t) => t.trim()).filter(Boolean))];
    return this.repo.insertSuiteBatch({
      teamId: viewer.teamId,
      suiteId: suite.id,
      scheduleId: input.scheduleId ?? null,
      trigger: input.trigger ?? 'MANUAL',
      runBatchIds,
      plan,
      tags,
    });
  }

  /** runSuite for a suite given by id or, without one, by name (`dmasim ci --suite <name>`). */
  async runSuiteByReference(
    viewer: Viewer,
    input: {
      suiteId: string | null;
      suiteName: string | null;
      trigger: SuiteBatchTrigger | null;
      tags: readonly string[] | null;
    },
  ): Promise<Outcome<SuiteBatch>> {
    const suiteId =
      input.suiteId ?? (input.suiteName ? (await this.suiteByName(viewer, input.suiteName))?.id : undefined);
    if (!suiteId) throw notFound('suite', input.suiteName ?? input.suiteId ?? '');
    return this.runSuite(viewer, { suiteId, trigger: input.trigger, tags: input.tags });
  }

  /** A suite batch with its live status (derived from its runs until the batch is final). */
  async suiteBatch(viewer: Viewer, id: string): Promise<SuiteBatch | undefined> {
    const batch = await this.repo.findSuiteBatch(viewer.teamId, id);
    if (!batch || finalRunStatuses.has(batch.status)) return batch;
    const statuses = await this.runReader.runStatuses(
      viewer.teamId,
      (await this.repo.planOf(viewer.teamId, id)).map((p) => p.runId),
    );
    return { ...batch, status: batchStatus(statuses) };
  }

  async batchProgress(viewer: Viewer, id: string): Promise<{ total: number; finished: number }> {
    const statuses = await this.runReader.runStatuses(
      viewer.teamId,
      (await this.repo.planOf(viewer.teamId, id)).map((p) => p.runId),
    );
    return { total: statuses.length, finished: statuses.filter((s) => finalRunStatuses.has(s)).length };
  }

  suiteBatches(
    viewer: Viewer,
    filter: { suiteId?: string | null; scheduleId?: string | null },
    first?: number | null,
  ): Promise<SuiteBatch[]> {
    return this.repo.listSuiteBatches(viewer.teamId, filter, Math.min(Math.max(first ?? 20, 1), 100));
  }

  /** Accepts a finished batch as the suite's baseline (LAST_ACCEPTED), or pins it (PINNED). */
  async acceptBaseline(viewer: Viewer, batchId: string, pin: boolean): Promise<Outcome<SuiteBatch>> {
    requireRole(viewer, 'member');
    const batch = await this.suiteBatch(viewer, batchId);
    if (!batch) throw notFound('suite batch', batchId);
    if (!finalRunStatuses.has(batch.status))
      return rejected(
        ['batchId'],
        `batch ${batchId} is ${batch.status}; accept it once it has finished`,
        'BATCH_NOT_FINISHED',
      );
    await this.repo.acceptSuiteBatch(viewer.teamId, batchId, this.clock.now());
    if (pin) {
      const suite = await this.suiteOrThrow(viewer, batch.suiteId);
      await this.repo.updateSuite(
        viewer.teamId,
        suite.id,
        { ...suite, baselinePolicy: 'PINNED', baselineBatchId: batchId },
        this.clock.now(),
      );
    }
    return (await this.repo.findSuiteBatch(viewer.teamId, batchId)) ?? batch;
  }

  async tagBatch(viewer: Viewer, batchId: string, tags: readonly string[]): Promise<SuiteBatch> {
    requireRole(viewer, 'member');
    const batch = await this.repo.findSuiteBatch(viewer.teamId, batchId);
    if (!batch) throw notFound('suite batch', batchId);
    await this.repo.tagSuiteBatch(viewer.teamId, batchId, [
      ...new Set([...batch.tags, ...tags.map((t) => t.trim()).filter(Boolean)]),
    ]);
    return (await this.repo.findSuiteBatch(viewer.teamId, batchId)) ?? batch;
  }

  comparison(viewer: Viewer, batchId: string): Promise<StoredComparison | undefined> {
    return this.repo.findComparison(viewer.teamId, batchId);
  }

  /** The comparison of a suite batch of the team (undefined until it is compared); NOT_FOUND for an unknown batch. */
  async comparisonOfBatch(viewer: Viewer, batchId: string): Promise<StoredComparison | undefined> {
    const comparison = await this.repo.findComparison(viewer.teamId, batchId);
    if (comparison) return comparison;
    if (!(await this.repo.findSuiteBatch(viewer.teamId, batchId))) throw notFound('suite batch', batchId);
    return undefined;
  }

  // ---- completion and comparison -----------------------------------------------------------

  /**
   * Idempotent: called with a run batch id (run.batch.ts onBatchCompleted) or a suite batch id.
   * When every run of the suite batch is final, stores its status, compares it with the baseline
   * once, and enqueues the webhooks of that one comparison. Returns the comparison, or undefined
   * while runs are still in flight or when the batch is not a suite's.
   */
  async handleBatchCompleted(batchId: string): Promise<StoredComparison | undefined> {
    const batch = await this.repo.findSuiteBatchForJob(batchId);
    if (!batch) return undefined;
    const runs = await this.runReader.runsForComparison(
      batch.teamId,
      batch.plan.map((p) => p.runId),
    );
    if (runs.length < batch.plan.length || !runs.every((r) => finalRunStatuses.has(r.status))) return undefined;
    const now = this.clock.now();
    if (!finalRunStatuses.has(batch.status))
      await this.repo.setSuiteBatchStatus(batch.id, batchStatus(runs.map((r) => r.status)), now);
    const existing = await this.repo.findComparison(batch.teamId, batch.id);
    if (existing) return existing;

    const suite = await this.repo.findSuite(batch.teamId, batch.suiteId);
    if (!suite) return undefined;
    const baseline = await this.repo.findBaseline(suite, batch.id);
    const candidate = toComparedRuns(runs, batch.plan);
    const baselineRuns = baseline
      ? toComparedRuns(
          await this.runReader.runsForComparison(
            batch.teamId,
            (await this.repo.planOf(batch.teamId, baseline.id)).map((p) => p.runId),
          ),
          await this.repo.planOf(batch.teamId, baseline.id),
        )
      : null;
    const fingerprints = [...new Set(candidate.flatMap((r) => r.violations.map((v) => v.fingerprint)))];
    const triage = await this.history.triageFor(batch.teamId, fingerprints);
    const excluded = [...candidate, ...(baselineRuns ?? [])].map((r) => r.runId);
    const seenBefore = await this.history.fingerprintsSeenBefore(
      batch.teamId,
      fingerprints.filter((f) => !baselineRuns?.some((r) => r.violations.some((v) => v.fingerprint === f))),
      excluded,
      baseline?.createdAt ?? batch.createdAt,
    );
    const detail = compareBatches({
      candidate,
      baseline: baselineRuns,
      thresholds: suite.thresholds,
      triage,
      seenBefore,
      now,
    });
    const [comparison, created] = await this.repo.insertComparison({
      teamId: batch.teamId,
      suiteId: suite.id,
      batchId: batch.id,
      baselineBatchId: baseline?.id ?? null,
      verdict: detail.verdict,
      detail,
    });
    if (created) await this.notifier.comparisonStored(suite, comparison);
    return comparison;
  }

  /** Catches suite batches whose completion event never came (runs cancelled in the API, lost jobs). */
  async sweepOpenBatches(): Promise<number> {
    let compared = 0;
    for (const id of await this.repo.listOpenSuiteBatches(200)) if (await this.handleBatchCompleted(id)) compared++;
    return compared;
  }
}

/** The comparability hash: the scenario spec without its kernel section (the variable under test), plus the seed. */
export function comparabilityHash(spec: Record<string, unknown>, seed: bigint): string {
  const { kernel: _kernel, ...rest } = spec;
  return createHash('sha256')
    .update(canonicalJson({ ...rest, seed: seed.toString() }))
    .digest('hex');
}

function toComparedRuns(runs: readonly RunForComparison[], plan: readonly PlanItem[]): ComparedRun[] {
  const byRun = new Map(plan.map((p) => [p.runId, p]));
  return runs.map((run) => ({
    scenarioId: run.scenarioId,
    scenarioName: run.scenarioName,
    entryName: byRun.get(run.runId)?.entryName ?? run.profile,
    runId: run.runId,
    profile: run.profile,
    status: run.status,
    levels: run.levels,
    engineVersion: run.engineVersion,
    specHash: comparabilityHash(run.spec, run.seed),
    violations: run.violations,
    metrics: run.metrics,
  }));
}

function entryLabel(profile: string, overlays: readonly OverlayRef[]): string {
  return [profile, ...overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join('+');
}

function suiteEntries(entries: SuiteInput['entries']): SuiteEntry[] {
  return entries.map((e) => ({
    name: (e.name ?? entryLabel(e.profile, e.overlays ?? [])).trim(),
    profile: e.profile,
    overlays: (e.overlays ?? []).map((o) => (o.variant ? { name: o.name, variant: o.variant } : { name: o.name })),
  }));
}

function entryErrors(entries: readonly SuiteEntry[]): UserInputError[] {
  const errors: UserInputError[] = [];
  if (entries.length < 1 || entries.length > maxEntries)
    errors.push({ path: ['input', 'entries'], message: `give 1-${maxEntries} entries`, code: 'INVALID_SUITE' });
  if (new Set(entries.map((e) => e.name)).size !== entries.length)
    errors.push({
      path: ['input', 'entries'],
      message: 'entry names must be distinct (they are the comparison keys)',
      code: 'DUPLICATE_ENTRY',
    });
  return errors;
}

function thresholdErrors(thresholds: readonly MetricThreshold[]): UserInputError[] {
  const errors: UserInputError[] = [];
  thresholds.forEach((t, i) => {
    const bad =
      [t.maxIncrease, t.max].some((v) => v !== undefined && v !== null && parseDecimal(v) === null) ||
      (t.maxIncreasePercent !== undefined && t.maxIncreasePercent !== null && !(t.maxIncreasePercent >= 0));
    if (bad || t.metric.trim() === '')
      errors.push({
        path: ['input', 'thresholds', String(i)],
        message: 'give a metric and decimal limits (percent ≥ 0)',
        code: 'INVALID_THRESHOLD',
      });
  });
  return errors;
}
