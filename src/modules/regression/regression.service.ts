import { createHash, randomBytes } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { canonicalJson, parseDecimal } from '../../engine/index';
import { notFound } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import { batchStatus, type RunService } from '../run/run.service';
import { finalRunStatuses, type OverlayRef } from '../run/run.types';
import type { ScenarioService } from '../scenario/scenario.service';
import { type Outcome, rejected, requireRole, type UserInputError } from '../shared/user-errors';
import type { Viewer } from '../team/team.types';
import { compareBatches } from './comparison';
import type { RegressionJobs, RegressionScheduler } from './regression.queue';
import type { PlanItem, RegressionRepository, RunForComparison } from './regression.repository';
import type {
  BaselinePolicy,
  ComparedRun,
  MetricThreshold,
  OverlapPolicy,
  Schedule,
  StoredComparison,
  Suite,
  SuiteBatch,
  SuiteBatchTrigger,
  SuiteEntry,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
} from './regression.types';
import { signWebhookPayload, webhookHeaders } from './webhook-signature';

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

export interface ScheduleInput {
  readonly suiteId: string;
  readonly name: string;
  readonly cron: string;
  readonly timeZone?: string | null;
  readonly overlapPolicy?: OverlapPolicy | null;
  readonly paused?: boolean | null;
}

const maxScenarios = 50;
const maxEntries = 16;
const severityRank: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const webhookTimeoutMs = 10_000;
/** A system viewer acts for a team when a schedule fires (no token: the nil UUID). */
const systemTokenId = '00000000-0000-0000-0000-000000000000';

/**
 * Regression runs: suites, their batches and baselines, comparisons, schedules (BullMQ job
 * schedulers reconciled from the Schedule rows), replay checks, CI exports and webhooks. Suites
 * submit their runs through the run service, one matrix per scenario.
 */
export class RegressionService {
  constructor(
    private readonly repo: RegressionRepository,
    private readonly runs: RunService,
    private readonly scenarios: ScenarioService,
    private readonly scheduler: RegressionScheduler,
    private readonly jobs: RegressionJobs,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  // ---- suites ------------------------------------------------------------------------------

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

  private async suiteOrThrow(viewer: Viewer, id: string): Promise<Suite> {
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
    const entries: SuiteEntry[] = input.entries.map((e) => ({
      name: (e.name ?? entryLabel(e.profile, e.overlays ?? [])).trim(),
      profile: e.profile,
      overlays: (e.overlays ?? []).map((o) => (o.variant ? { name: o.name, variant: o.variant } : { name: o.name })),
    }));
    if (entries.length < 1 || entries.length > maxEntries)
      errors.push({ path: ['input', 'entries'], message: `give 1-${maxEntries} entries`, code: 'INVALID_SUITE' });
    if (new Set(entries.map((e) => e.name)).size !== entries.length)
      errors.push({
        path: ['input', 'entries'],
        message: 'entry names must be distinct (they are the comparison keys)',
        code: 'DUPLICATE_ENTRY',
      });
    const thresholds = input.thresholds ?? [];
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

  /** Submits one matrix per scenario through the run service and records them as one suite batch. */
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

  /** A suite batch with its live status (derived from its runs until the batch is final). */
  async suiteBatch(viewer: Viewer, id: string): Promise<SuiteBatch | undefined> {
    const batch = await this.repo.findSuiteBatch(viewer.teamId, id);
    if (!batch || finalRunStatuses.has(batch.status)) return batch;
    const statuses = await this.repo.runStatuses(
      viewer.teamId,
      (await this.repo.planOf(viewer.teamId, id)).map((p) => p.runId),
    );
    return { ...batch, status: batchStatus(statuses) };
  }

  async batchProgress(viewer: Viewer, id: string): Promise<{ total: number; finished: number }> {
    const statuses = await this.repo.runStatuses(
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
    const runs = await this.repo.runsForComparison(
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
          await this.repo.runsForComparison(
            batch.teamId,
            (await this.repo.planOf(batch.teamId, baseline.id)).map((p) => p.runId),
          ),
          await this.repo.planOf(batch.teamId, baseline.id),
        )
      : null;
    const fingerprints = [...new Set(candidate.flatMap((r) => r.violations.map((v) => v.fingerprint)))];
    const triage = await this.repo.triageFor(batch.teamId, fingerprints);
    const excluded = [...candidate, ...(baselineRuns ?? [])].map((r) => r.runId);
    const seenBefore = await this.repo.fingerprintsSeenBefore(
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
    if (created) await this.notify(suite, comparison);
    return comparison;
  }

  /** Catches suite batches whose completion event never came (runs cancelled in the API, lost jobs). */
  async sweepOpenBatches(): Promise<number> {
    let compared = 0;
    for (const id of await this.repo.listOpenSuiteBatches(200)) if (await this.handleBatchCompleted(id)) compared++;
    return compared;
  }

  // ---- schedules ---------------------------------------------------------------------------

  async createSchedule(viewer: Viewer, input: ScheduleInput): Promise<Outcome<Schedule>> {
    requireRole(viewer, 'member');
    await this.suiteOrThrow(viewer, input.suiteId);
    const timeZone = input.timeZone ?? 'UTC';
    const errors = [...cronErrors(input.cron, timeZone)];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(input.name))
      errors.push({ path: ['input', 'name'], message: 'use 1-100 letters, digits, . _ -', code: 'INVALID_NAME' });
    if (errors.length > 0) return { userErrors: errors };
    if ((await this.repo.listSchedules(viewer.teamId)).some((s) => s.name === input.name))
      return rejected(['input', 'name'], `a schedule named ${input.name} exists`, 'NAME_TAKEN');
    const schedule = await this.repo.insertSchedule({
      teamId: viewer.teamId,
      suiteId: input.suiteId,
      name: input.name,
      cron: input.cron,
      timeZone,
      paused: input.paused ?? false,
      overlapPolicy: input.overlapPolicy ?? 'SKIP',
    });
    await this.syncScheduler(schedule);
    return schedule;
  }

  async updateSchedule(
    viewer: Viewer,
    id: string,
    input: {
      cron?: string | null;
      timeZone?: string | null;
      overlapPolicy?: OverlapPolicy | null;
      paused?: boolean | null;
    },
  ): Promise<Outcome<Schedule>> {
    requireRole(viewer, 'member');
    const before = await this.scheduleOrThrow(viewer, id);
    const cron = input.cron ?? before.cron;
    const timeZone = input.timeZone ?? before.timeZone;
    const errors = cronErrors(cron, timeZone);
    if (errors.length > 0) return { userErrors: errors };
    const after = await this.repo.updateSchedule(
      viewer.teamId,
      id,
      {
        cron,
        timeZone,
        overlapPolicy: input.overlapPolicy ?? before.overlapPolicy,
        paused: input.paused ?? before.paused,
      },
      this.clock.now(),
    );
    if (!after) throw notFound('schedule', id);
    await this.syncScheduler(after);
    return after;
  }

  async deleteSchedule(viewer: Viewer, id: string): Promise<boolean> {
    requireRole(viewer, 'member');
    await this.scheduleOrThrow(viewer, id);
    await this.scheduler.remove(id);
    return this.repo.deleteSchedule(viewer.teamId, id);
  }

  schedule(viewer: Viewer, id: string): Promise<Schedule | undefined> {
    return this.repo.findSchedule(viewer.teamId, id);
  }

  schedules(viewer: Viewer): Promise<Schedule[]> {
    return this.repo.listSchedules(viewer.teamId);
  }

  /** Runs a schedule's suite now, under the same overlap policy as a cron firing. */
  async runScheduleNow(viewer: Viewer, id: string): Promise<Outcome<{ batch: SuiteBatch | null; skipped: boolean }>> {
    requireRole(viewer, 'member');
    const schedule = await this.scheduleOrThrow(viewer, id);
    return this.fire(schedule, viewer);
  }

  /** The scheduler job: paused or overlapping firings are skipped (and recorded). */
  async fireSchedule(scheduleId: string): Promise<{ batchId: string | null; skipped: boolean }> {
    const schedule = await this.repo.findScheduleForJob(scheduleId);
    if (!schedule || schedule.paused) return { batchId: null, skipped: true };
    const result = await this.fire(schedule, { teamId: schedule.teamId, tokenId: systemTokenId, role: 'member' });
    if ('userErrors' in result) {
      this.logger.warn({ scheduleId, userErrors: result.userErrors }, 'schedule could not submit its suite');
      return { batchId: null, skipped: true };
    }
    return { batchId: result.batch?.id ?? null, skipped: result.skipped };
  }

  private async fire(
    schedule: Schedule,
    viewer: Viewer,
  ): Promise<Outcome<{ batch: SuiteBatch | null; skipped: boolean }>> {
    const now = this.clock.now();
    if (schedule.overlapPolicy === 'SKIP') {
      const previous = (await this.repo.listSuiteBatches(schedule.teamId, { scheduleId: schedule.id }, 1))[0];
      const live = previous ? await this.suiteBatch(viewer, previous.id) : undefined;
      if (live && !finalRunStatuses.has(live.status)) {
        await this.repo.markScheduleFired(schedule.id, now, true);
        return { batch: null, skipped: true };
      }
    }
    const batch = await this.runSuite(viewer, {
      suiteId: schedule.suiteId,
      trigger: 'SCHEDULE',
      scheduleId: schedule.id,
    });
    if ('userErrors' in batch) return batch;
    await this.repo.markScheduleFired(schedule.id, now, false);
    return { batch, skipped: false };
  }

  /** Makes Redis match PostgreSQL: a scheduler per unpaused schedule, none for paused or deleted ones. */
  async reconcileSchedules(): Promise<{ upserted: number; removed: number }> {
    const schedules = await this.repo.listAllSchedules();
    const active = schedules.filter((s) => !s.paused);
    for (const schedule of active) await this.scheduler.upsert(schedule);
    const wanted = new Set(active.map((s) => s.id));
    const stale = (await this.scheduler.list()).filter((id) => !wanted.has(id));
    for (const id of stale) await this.scheduler.remove(id);
    return { upserted: active.length, removed: stale.length };
  }

  private async syncScheduler(schedule: Schedule): Promise<void> {
    if (schedule.paused) await this.scheduler.remove(schedule.id);
    else await this.scheduler.upsert(schedule);
  }

  private async scheduleOrThrow(viewer: Viewer, id: string): Promise<Schedule> {
    const schedule = await this.repo.findSchedule(viewer.teamId, id);
    if (!schedule) throw notFound('schedule', id);
    return schedule;
  }

  // ---- webhooks ----------------------------------------------------------------------------

  /** Creates a webhook; the signing secret is returned once. Admin only. */
  async createWebhook(
    viewer: Viewer,
    input: {
      url: string;
      events: readonly WebhookEvent[];
      suiteIds?: readonly string[] | null;
      minSeverity?: string | null;
    },
  ): Promise<Outcome<{ webhook: Webhook; secret: string }>> {
    requireRole(viewer, 'admin');
    const errors: UserInputError[] = [];
    if (!URL.canParse(input.url) || !/^https?:\/\//.test(input.url))
      errors.push({ path: ['input', 'url'], message: 'must be an http(s) URL', code: 'INVALID_URL' });
    if (input.events.length === 0)
      errors.push({ path: ['input', 'events'], message: 'subscribe to at least one event', code: 'INVALID_EVENTS' });
    if (input.minSeverity && !(input.minSeverity in severityRank))
      errors.push({
        path: ['input', 'minSeverity'],
        message: `one of ${Object.keys(severityRank).join(', ')}`,
        code: 'INVALID_SEVERITY',
      });
    for (const [i, id] of (input.suiteIds ?? []).entries())
      if (!(await this.repo.findSuite(viewer.teamId, id)))
        errors.push({ path: ['input', 'suiteIds', String(i)], message: `suite ${id} not found`, code: 'NOT_FOUND' });
    if (errors.length > 0) return { userErrors: errors };
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const webhook = await this.repo.insertWebhook({
      teamId: viewer.teamId,
      url: input.url,
      secret,
      events: [...new Set(input.events)],
      suiteIds: [...(input.suiteIds ?? [])],
      minSeverity: input.minSeverity ?? null,
    });
    return { webhook, secret };
  }

  async deleteWebhook(viewer: Viewer, id: string): Promise<boolean> {
    requireRole(viewer, 'admin');
    if (!(await this.repo.deleteWebhook(viewer.teamId, id))) throw notFound('webhook', id);
    return true;
  }

  webhooks(viewer: Viewer): Promise<Webhook[]> {
    requireRole(viewer, 'admin');
    return this.repo.listWebhooks(viewer.teamId);
  }

  async deliveries(viewer: Viewer, webhookId: string, first?: number | null): Promise<WebhookDelivery[]> {
    requireRole(viewer, 'admin');
    if (!(await this.repo.findWebhook(viewer.teamId, webhookId))) throw notFound('webhook', webhookId);
    return this.repo.listDeliveries(viewer.teamId, webhookId, Math.min(Math.max(first ?? 20, 1), 100));
  }

  /** One delivery attempt: signed POST; a non-2xx answer or network error throws so BullMQ retries with backoff. */
  async deliverWebhook(deliveryId: string, finalAttempt: boolean): Promise<{ status: number }> {
    const found = await this.repo.findDeliveryForJob(deliveryId);
    if (!found) return { status: 0 };
    const { delivery, webhook } = found;
    const body = JSON.stringify(delivery.payload);
    const timestamp = String(Math.floor(this.clock.now().getTime() / 1000));
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await this.fetchImpl(webhook.url, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(webhookTimeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'dmasim-webhooks',
          [webhookHeaders.signature]: signWebhookPayload(webhook.secret, timestamp, body),
          [webhookHeaders.timestamp]: timestamp,
          [webhookHeaders.event]: delivery.event,
          [webhookHeaders.delivery]: delivery.id,
        },
      });
      status = response.status;
      await response.body?.cancel();
      if (!response.ok) error = `HTTP ${response.status}`;
    } catch (cause: unknown) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    await this.repo.recordDeliveryAttempt(deliveryId, {
      status: error === null ? 'DELIVERED' : finalAttempt ? 'FAILED' : 'PENDING',
      responseStatus: status,
      error,
      now: this.clock.now(),
    });
    if (error !== null) throw new Error(`webhook delivery ${deliveryId} failed: ${error}`);
    return { status: status ?? 0 };
  }

  /** Enqueues batch.completed for every subscribed webhook, and regression when the verdict is REGRESSED and the severity filter matches. */
  private async notify(suite: Suite, comparison: StoredComparison): Promise<void> {
    const webhooks = (await this.repo.listWebhooks(suite.teamId)).filter(
      (w) => w.enabled && (w.suiteIds.length === 0 || w.suiteIds.includes(suite.id)),
    );
    const summary = {
      suite: { id: suite.id, name: suite.name },
      batchId: comparison.batchId,
      baselineBatchId: comparison.baselineBatchId,
      verdict: comparison.verdict,
      counts: comparison.detail.counts,
    };
    const rows: Array<{ teamId: string; webhookId: string; event: WebhookEvent; payload: unknown }> = [];
    for (const webhook of webhooks) {
      if (webhook.events.includes('batch.completed'))
        rows.push({
          teamId: suite.teamId,
          webhookId: webhook.id,
          event: 'batch.completed',
          payload: { event: 'batch.completed', ...summary },
        });
      if (
        webhook.events.includes('regression') &&
        comparison.verdict === 'REGRESSED' &&
        meetsSeverity(comparison, webhook.minSeverity)
      ) {
        const regressions = comparison.detail.entries
          .filter((e) => e.verdict === 'REGRESSED')
          .map((e) => ({ scenario: e.scenarioName, entry: e.entryName, profile: e.profile, reasons: e.reasons }));
        rows.push({
          teamId: suite.teamId,
          webhookId: webhook.id,
          event: 'regression',
          payload: { event: 'regression', ...summary, regressions },
        });
      }
    }
    if (rows.length === 0) return;
    for (const id of await this.repo.insertDeliveries(rows)) {
      await this.jobs
        .enqueueWebhookDelivery(id)
        .catch((error: unknown) =>
          this.logger.error({ err: error, deliveryId: id }, 'could not enqueue webhook delivery; it stays PENDING'),
        );
    }
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
    engineVersion: run.engineVersion,
    specHash: comparabilityHash(run.spec, run.seed),
    violations: run.violations,
    metrics: run.metrics,
  }));
}

function meetsSeverity(comparison: StoredComparison, minSeverity: string | null): boolean {
  if (!minSeverity) return true;
  const min = severityRank[minSeverity] ?? 0;
  return comparison.detail.entries.some(
    (e) =>
      e.metrics.some((m) => m.breached) || e.findings.some((f) => f.counts && (severityRank[f.severity] ?? 0) >= min),
  );
}

function entryLabel(profile: string, overlays: readonly OverlayRef[]): string {
  return [profile, ...overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join('+');
}

function cronErrors(cron: string, timeZone: string): UserInputError[] {
  try {
    CronExpressionParser.parse(cron, { tz: timeZone });
    Intl.DateTimeFormat('en', { timeZone });
    return [];
  } catch (error: unknown) {
    return [
      {
        path: ['input', 'cron'],
        message: `invalid cron expression or time zone: ${error instanceof Error ? error.message : String(error)}`,
        code: 'INVALID_CRON',
      },
    ];
  }
}
