import type { Database } from '../../platform/db';
import type {
  Comparison as ComparisonRow,
  Prisma,
  Suite as SuiteRow,
  SuiteBatch as SuiteBatchRow,
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
  ComparisonResult,
  StoredComparison,
  Suite,
  SuiteBatch,
  SuiteBatchTrigger,
  Verdict,
} from './regression.types';

/** Which run of a suite batch is which scenario × entry. */
export type { PlanItem } from './regression.json';

export type NewSuite = Omit<Suite, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * All SQL of suites: the suite (with its entries and thresholds), its batches (plan, tags, accepted
 * baseline) and their stored comparisons. Team-scoped except the worker entry points named *ForJob
 * and the sweep's listOpenSuiteBatches.
 */
export class SuiteRepository {
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
