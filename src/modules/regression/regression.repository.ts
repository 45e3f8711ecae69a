import type { Database } from '../../platform/db';
import type {
  Comparison as ComparisonRow,
  Prisma,
  Schedule as ScheduleRow,
  Suite as SuiteRow,
  SuiteBatch as SuiteBatchRow,
  Webhook as WebhookRow,
  WebhookDelivery as WebhookDeliveryRow,
} from '../../generated/prisma/client';
import type { RunStatus } from '../run/run.types';
import {
  parseComparisonDetail,
  parsePlan,
  type PlanItem,
  parseSuiteEntries,
  parseThresholds,
  toJsonColumn,
} from './regression.json';
import type {
  BaselinePolicy,
  ComparedViolation,
  ComparisonResult,
  DeliveryStatus,
  OverlapPolicy,
  Schedule,
  StoredComparison,
  Suite,
  SuiteBatch,
  SuiteBatchTrigger,
  TriageDecision,
  Verdict,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
} from './regression.types';

/** Which run of a suite batch is which scenario × entry. */
export type { PlanItem } from './regression.json';

/** A run with everything a comparison needs, read in one query. */
export interface RunForComparison {
  readonly runId: string;
  readonly scenarioId: string;
  readonly scenarioName: string;
  readonly profile: string;
  readonly status: RunStatus;
  readonly engineVersion: string;
  readonly seed: bigint;
  readonly resultHash: string | null;
  readonly spec: Record<string, unknown>;
  readonly violations: readonly ComparedViolation[];
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly createdAt: Date;
}

export type NewSuite = Omit<Suite, 'id' | 'createdAt' | 'updatedAt'>;
export type NewSchedule = Pick<
  Schedule,
  'teamId' | 'suiteId' | 'name' | 'cron' | 'timeZone' | 'paused' | 'overlapPolicy'
>;

/** All SQL of regression runs: suites, batches, schedules, comparisons, webhooks. Team-scoped except the worker entry points named *ForJob. */
export class RegressionRepository {
  constructor(private readonly db: Database) {}

  async insertSuite(suite: NewSuite): Promise<Suite> {
    return toSuite(await this.db.suite.create({ data: suiteData(suite) }));
  }

  async updateSuite(teamId: string, id: string, suite: NewSuite, now: Date): Promise<Suite | undefined> {
    const moved = await this.db.suite.updateMany({
      where: { id, teamId },
      data: { ...suiteData(suite), updatedAt: now },
    });
    return moved.count === 1 ? this.findSuite(teamId, id) : undefined;
  }

  async findSuite(teamId: string, id: string): Promise<Suite | undefined> {
    const row = await this.db.suite.findFirst({ where: { id, teamId } });
    return row ? toSuite(row) : undefined;
  }

  async findSuiteByName(teamId: string, name: string): Promise<Suite | undefined> {
    const row = await this.db.suite.findUnique({ where: { teamId_name: { teamId, name } } });
    return row ? toSuite(row) : undefined;
  }

  async listSuites(teamId: string): Promise<Suite[]> {
    return (await this.db.suite.findMany({ where: { teamId }, orderBy: { name: 'asc' } })).map(toSuite);
  }

  async insertSuiteBatch(batch: {
    teamId: string;
    suiteId: string;
    scheduleId: string | null;
    trigger: SuiteBatchTrigger;
    runBatchIds: string[];
    plan: PlanItem[];
    tags: string[];
  }): Promise<SuiteBatch> {
    return toSuiteBatch(await this.db.suiteBatch.create({ data: { ...batch, plan: toJsonColumn(batch.plan) } }));
  }

  async findSuiteBatch(teamId: string, id: string): Promise<SuiteBatch | undefined> {
    const row = await this.db.suiteBatch.findFirst({ where: { id, teamId } });
    return row ? toSuiteBatch(row) : undefined;
  }

  /** The suite batch with this id, or the one containing this run batch (worker entry point). */
  async findSuiteBatchForJob(batchId: string): Promise<(SuiteBatch & { plan: PlanItem[] }) | undefined> {
    const row =
      (await this.db.suiteBatch.findUnique({ where: { id: batchId } })) ??
      (await this.db.suiteBatch.findFirst({ where: { runBatchIds: { has: batchId } } }));
    return row ? { ...toSuiteBatch(row), plan: parsePlan(row.plan) } : undefined;
  }

  async planOf(teamId: string, id: string): Promise<PlanItem[]> {
    const row = await this.db.suiteBatch.findFirst({ where: { id, teamId }, select: { plan: true } });
    return row ? parsePlan(row.plan) : [];
  }

  /** Suite batches not yet final, across teams: the sweep's input (lost completion events, runs cancelled in the API). */
  async listOpenSuiteBatches(limit: number): Promise<string[]> {
    return (
      await this.db.suiteBatch.findMany({
        where: { status: { in: ['QUEUED', 'RUNNING'] } },
        select: { id: true },
        orderBy: { createdAt: 'asc' },
        take: limit,
      })
    ).map((r) => r.id);
  }

  async listSuiteBatches(
    teamId: string,
    filter: { suiteId?: string | null; scheduleId?: string | null },
    first: number,
  ): Promise<SuiteBatch[]> {
    const rows = await this.db.suiteBatch.findMany({
      where: {
        teamId,
        ...(filter.suiteId ? { suiteId: filter.suiteId } : {}),
        ...(filter.scheduleId ? { scheduleId: filter.scheduleId } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: first,
    });
    return rows.map(toSuiteBatch);
  }

  async setSuiteBatchStatus(id: string, status: RunStatus, finishedAt: Date | null): Promise<void> {
    await this.db.suiteBatch.update({ where: { id }, data: { status, finishedAt } });
  }

  async acceptSuiteBatch(teamId: string, id: string, now: Date): Promise<void> {
    await this.db.suiteBatch.updateMany({ where: { id, teamId }, data: { acceptedAt: now } });
  }

  async tagSuiteBatch(teamId: string, id: string, tags: string[]): Promise<void> {
    await this.db.suiteBatch.updateMany({ where: { id, teamId }, data: { tags } });
  }

  /** The baseline of a suite under its policy, never the candidate itself. */
  async findBaseline(suite: Suite, excludeBatchId: string): Promise<SuiteBatch | undefined> {
    const policy: BaselinePolicy = suite.baselinePolicy;
    if (policy === 'PINNED')
      return suite.baselineBatchId && suite.baselineBatchId !== excludeBatchId
        ? this.findSuiteBatch(suite.teamId, suite.baselineBatchId)
        : undefined;
    const where: Prisma.SuiteBatchWhereInput = {
      teamId: suite.teamId,
      suiteId: suite.id,
      id: { not: excludeBatchId },
      ...(policy === 'TAG' ? { tags: { has: suite.baselineTag ?? '' } } : { acceptedAt: { not: null } }),
    };
    const row = await this.db.suiteBatch.findFirst({
      where,
      orderBy: policy === 'TAG' ? [{ createdAt: 'desc' }, { id: 'desc' }] : [{ acceptedAt: 'desc' }, { id: 'desc' }],
    });
    return row ? toSuiteBatch(row) : undefined;
  }

  async runsForComparison(teamId: string, runIds: readonly string[]): Promise<RunForComparison[]> {
    const rows = await this.db.run.findMany({
      where: { teamId, id: { in: [...runIds] } },
      include: {
        scenario: { select: { name: true } },
        scenarioVersion: { select: { spec: true } },
        violations: true,
        allocatorMetrics: { select: { metrics: true } },
      },
    });
    return rows.map((row) => ({
      runId: row.id,
      scenarioId: row.scenarioId,
      scenarioName: row.scenario.name,
      profile: row.profile,
      status: row.status,
      engineVersion: row.engineVersion,
      seed: row.seed,
      resultHash: row.resultHash,
      spec: row.scenarioVersion.spec as Record<string, unknown>,
      createdAt: row.createdAt,
      violations: row.violations.map((v) => ({
        fingerprint: v.fingerprint,
        class: v.class,
        severity: v.severity,
        deviceId: v.deviceId,
        path: v.path,
        rule: v.rule,
        explanation: v.explanation,
        dataClass: v.dataClass,
        count: v.count,
        bytesExposed: v.bytesExposed,
      })),
      metrics: (row.allocatorMetrics?.metrics ?? {}) as Record<string, number | string>,
    }));
  }

  /** Just the statuses of some runs (progress displays poll this). */
  async runStatuses(teamId: string, runIds: readonly string[]): Promise<RunStatus[]> {
    return (await this.db.run.findMany({ where: { teamId, id: { in: [...runIds] } }, select: { status: true } })).map(
      (r) => r.status,
    );
  }

  async triageFor(teamId: string, fingerprints: readonly string[]): Promise<Map<string, TriageDecision>> {
    const rows = await this.db.violationTriage.findMany({ where: { teamId, fingerprint: { in: [...fingerprints] } } });
    return new Map(
      rows.map((r) => [r.fingerprint, { state: r.state, reason: r.reason, owner: r.owner, expiresAt: r.expiresAt }]),
    );
  }

  /** Of these fingerprints, those the team's runs found before `before`, outside the given runs. */
  async fingerprintsSeenBefore(
    teamId: string,
    fingerprints: readonly string[],
    excludeRunIds: readonly string[],
    before: Date,
  ): Promise<Set<string>> {
    if (fingerprints.length === 0) return new Set();
    const rows = await this.db.violation.findMany({
      where: {
        teamId,
        fingerprint: { in: [...fingerprints] },
        runId: { notIn: [...excludeRunIds] },
        createdAt: { lt: before },
      },
      select: { fingerprint: true },
      distinct: ['fingerprint'],
    });
    return new Set(rows.map((r) => r.fingerprint));
  }

  /** Stores the comparison of a batch once; returns [comparison, whether this call created it]. */
  async insertComparison(input: {
    teamId: string;
    suiteId: string;
    batchId: string;
    baselineBatchId: string | null;
    verdict: Verdict;
    detail: ComparisonResult;
  }): Promise<[StoredComparison, boolean]> {
    const inserted = await this.db.comparison.createMany({
      data: [{ ...input, detail: toJsonColumn(input.detail) }],
      skipDuplicates: true,
    });
    const row = await this.db.comparison.findUniqueOrThrow({ where: { batchId: input.batchId } });
    return [toComparison(row), inserted.count === 1];
  }

  async findComparison(teamId: string, batchId: string): Promise<StoredComparison | undefined> {
    const row = await this.db.comparison.findFirst({ where: { teamId, batchId } });
    return row ? toComparison(row) : undefined;
  }

  async insertSchedule(schedule: NewSchedule): Promise<Schedule> {
    return toSchedule(await this.db.schedule.create({ data: schedule }));
  }

  async updateSchedule(
    teamId: string,
    id: string,
    data: Partial<Pick<Schedule, 'cron' | 'timeZone' | 'paused' | 'overlapPolicy'>>,
    now: Date,
  ): Promise<Schedule | undefined> {
    const moved = await this.db.schedule.updateMany({ where: { id, teamId }, data: { ...data, updatedAt: now } });
    return moved.count === 1 ? this.findSchedule(teamId, id) : undefined;
  }

  async deleteSchedule(teamId: string, id: string): Promise<boolean> {
    return (await this.db.schedule.deleteMany({ where: { id, teamId } })).count === 1;
  }

  async findSchedule(teamId: string, id: string): Promise<Schedule | undefined> {
    const row = await this.db.schedule.findFirst({ where: { id, teamId } });
    return row ? toSchedule(row) : undefined;
  }

  /** A schedule by id alone: the scheduler job carries only the id. */
  async findScheduleForJob(id: string): Promise<Schedule | undefined> {
    const row = await this.db.schedule.findUnique({ where: { id } });
    return row ? toSchedule(row) : undefined;
  }

  async listSchedules(teamId: string): Promise<Schedule[]> {
    return (await this.db.schedule.findMany({ where: { teamId }, orderBy: { name: 'asc' } })).map(toSchedule);
  }

  /** Every schedule of every team: the reconciler's source of truth. */
  async listAllSchedules(): Promise<Schedule[]> {
    return (await this.db.schedule.findMany({ orderBy: { createdAt: 'asc' } })).map(toSchedule);
  }

  async markScheduleFired(id: string, now: Date, skipped: boolean): Promise<void> {
    await this.db.schedule.updateMany({ where: { id }, data: skipped ? { lastSkippedAt: now } : { lastFiredAt: now } });
  }

  async insertWebhook(input: Omit<Webhook, 'id' | 'createdAt' | 'enabled'>): Promise<Webhook> {
    return toWebhook(
      await this.db.webhook.create({ data: { ...input, events: [...input.events], suiteIds: [...input.suiteIds] } }),
    );
  }

  async deleteWebhook(teamId: string, id: string): Promise<boolean> {
    return (await this.db.webhook.deleteMany({ where: { id, teamId } })).count === 1;
  }

  async findWebhook(teamId: string, id: string): Promise<Webhook | undefined> {
    const row = await this.db.webhook.findFirst({ where: { id, teamId } });
    return row ? toWebhook(row) : undefined;
  }

  async listWebhooks(teamId: string): Promise<Webhook[]> {
    return (await this.db.webhook.findMany({ where: { teamId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(
      toWebhook,
    );
  }

  async insertDeliveries(
    rows: ReadonlyArray<{ teamId: string; webhookId: string; event: WebhookEvent; payload: unknown }>,
  ): Promise<string[]> {
    const created = await this.db.$transaction(
      rows.map((row) =>
        this.db.webhookDelivery.create({
          data: { ...row, payload: row.payload as Prisma.InputJsonValue },
          select: { id: true },
        }),
      ),
    );
    return created.map((r) => r.id);
  }

  /** A delivery with its webhook, by id alone (the delivery job carries only the id). */
  async findDeliveryForJob(id: string): Promise<{ delivery: WebhookDelivery; webhook: Webhook } | undefined> {
    const delivery = await this.db.webhookDelivery.findUnique({ where: { id } });
    const webhook = delivery ? await this.db.webhook.findUnique({ where: { id: delivery.webhookId } }) : null;
    return delivery && webhook ? { delivery: toDelivery(delivery), webhook: toWebhook(webhook) } : undefined;
  }

  async recordDeliveryAttempt(
    id: string,
    outcome: { status: DeliveryStatus; responseStatus: number | null; error: string | null; now: Date },
  ): Promise<void> {
    await this.db.webhookDelivery.update({
      where: { id },
      data: {
        status: outcome.status,
        attempts: { increment: 1 },
        responseStatus: outcome.responseStatus,
        lastError: outcome.error,
        ...(outcome.status === 'DELIVERED' ? { deliveredAt: outcome.now } : {}),
      },
    });
  }

  async listDeliveries(teamId: string, webhookId: string, first: number): Promise<WebhookDelivery[]> {
    return (
      await this.db.webhookDelivery.findMany({
        where: { teamId, webhookId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first,
      })
    ).map(toDelivery);
  }
}

function suiteData(suite: NewSuite) {
  return {
    teamId: suite.teamId,
    name: suite.name,
    description: suite.description,
    scenarioIds: [...suite.scenarioIds],
    entries: toJsonColumn(suite.entries),
    seed: suite.seed,
    baselinePolicy: suite.baselinePolicy,
    baselineBatchId: suite.baselineBatchId,
    baselineTag: suite.baselineTag,
    thresholds: toJsonColumn(suite.thresholds),
  };
}

function toSuite(row: SuiteRow): Suite {
  return {
    id: row.id,
    teamId: row.teamId,
    name: row.name,
    description: row.description,
    scenarioIds: row.scenarioIds,
    entries: parseSuiteEntries(row.entries),
    seed: row.seed,
    baselinePolicy: row.baselinePolicy as BaselinePolicy,
    baselineBatchId: row.baselineBatchId,
    baselineTag: row.baselineTag,
    thresholds: parseThresholds(row.thresholds),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toSuiteBatch(row: SuiteBatchRow): SuiteBatch {
  return {
    id: row.id,
    teamId: row.teamId,
    suiteId: row.suiteId,
    scheduleId: row.scheduleId,
    trigger: row.trigger as SuiteBatchTrigger,
    status: row.status,
    runBatchIds: row.runBatchIds,
    tags: row.tags,
    acceptedAt: row.acceptedAt,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    teamId: row.teamId,
    suiteId: row.suiteId,
    name: row.name,
    cron: row.cron,
    timeZone: row.timeZone,
    paused: row.paused,
    overlapPolicy: row.overlapPolicy as OverlapPolicy,
    lastFiredAt: row.lastFiredAt,
    lastSkippedAt: row.lastSkippedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toComparison(row: ComparisonRow): StoredComparison {
  return {
    id: row.id,
    teamId: row.teamId,
    suiteId: row.suiteId,
    batchId: row.batchId,
    baselineBatchId: row.baselineBatchId,
    verdict: row.verdict as Verdict,
    detail: parseComparisonDetail(row.detail),
    createdAt: row.createdAt,
  };
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    teamId: row.teamId,
    url: row.url,
    secret: row.secret,
    events: row.events as WebhookEvent[],
    suiteIds: row.suiteIds,
    minSeverity: row.minSeverity,
    enabled: row.enabled,
    createdAt: row.createdAt,
  };
}

function toDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhookId,
    event: row.event as WebhookEvent,
    payload: row.payload,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
  };
}
