import type { Database } from '../../platform/db';
import { Prisma } from '../../generated/prisma/client';
import type { CursorKey, Page } from '../shared/cursor';
import type {
  AllocatorMetrics,
  MetricPoint,
  RunResultRecord,
  TriageState,
  Violation,
  ViolationFilter,
} from './result.types';

interface ViolationRow {
  id: string;
  team_id: string;
  run_id: string;
  scenario_id: string;
  class: string;
  severity: string;
  device_id: string;
  fingerprint: string;
  count: bigint;
  bytes_exposed: bigint;
  data_class: string;
  first_op: bigint;
  path: string;
  rule: string;
  explanation: string;
  triage_state: TriageState;
  created_at: Date;
}

/** The effective triage state in SQL: no row → OPEN; an expired waiver → OPEN. */
const effectiveTriageState = Prisma.sql`CASE
  WHEN t.state IS NULL THEN 'OPEN'
  WHEN t.state = 'WAIVED' AND t.expires_at IS NOT NULL AND t.expires_at <= ${Prisma.raw('now()')} THEN 'OPEN'
  ELSE t.state::text END`;

/** All SQL for run results: reports, violations (with triage), metrics and series. */
export class ResultRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a run's results and marks it SUCCEEDED in one transaction, only if the run is RUNNING:
   * a duplicate or retried job, or a run cancelled meanwhile, writes nothing. Returns whether it wrote.
   */
  async saveRunResult(record: RunResultRecord, now: Date): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const moved = await tx.run.updateMany({
        where: { id: record.runId, teamId: record.teamId, status: 'RUNNING' },
        data: {
          status: 'SUCCEEDED',
          resultHash: record.resultHash,
          progress: 1,
          finishedAt: now,
          verdict: record.summary.verdict,
          verdictLevels: [...record.summary.levels],
          summary: record.summary as Prisma.InputJsonValue,
        },
      });
      if (moved.count === 0) return false;
      const run = await tx.run.findUniqueOrThrow({ where: { id: record.runId }, select: { scenarioId: true } });
      await tx.runReport.create({
        data: { runId: record.runId, teamId: record.teamId, report: record.report as Prisma.InputJsonValue },
      });
      if (record.violations.length > 0) {
        await tx.violation.createMany({
          data: record.violations.map((v) => ({
            ...v,
            runId: record.runId,
            teamId: record.teamId,
            scenarioId: run.scenarioId,
            createdAt: now,
          })),
        });
        // The dashboard's rollup moves in the same transaction.
        const perClass = new Map<string, { class: string; severity: string; count: number }>();
        for (const v of record.violations) {
          const key = `${v.class}/${v.severity}`;
          const entry = perClass.get(key) ?? { class: v.class, severity: v.severity, count: 0 };
          entry.count++;
          perClass.set(key, entry);
        }
        for (const entry of perClass.values()) {
          await tx.$executeRaw`
            INSERT INTO violation_daily_count (team_id, day, class, severity, count)
            VALUES (${record.teamId}::uuid, (${now}::timestamptz AT TIME ZONE 'UTC')::date, ${entry.class}, ${entry.severity}, ${entry.count})
            ON CONFLICT (team_id, day, class, severity) DO UPDATE SET count = violation_daily_count.count + EXCLUDED.count`;
        }
      }
      const { all, ...headline } = record.metrics;
      await tx.allocatorMetrics.create({
        data: {
          ...headline,
          metrics: all as Prisma.InputJsonValue,
          runId: record.runId,
          teamId: record.teamId,
          scenarioId: run.scenarioId,
          createdAt: now,
        },
      });
      if (record.samples.length > 0) {
        await tx.metricSample.createMany({
          data: record.samples.map((s) => ({ ...s, runId: record.runId, teamId: record.teamId })),
        });
      }
      return true;
    });
  }

  async findReport(teamId: string, runId: string): Promise<unknown> {
    const row = await this.db.runReport.findFirst({ where: { runId, teamId } });
    return row?.report ?? null;
  }

  /** Newest first by (createdAt, id) with the triage state joined in, and the filter's total. */
  async listViolations(
    teamId: string,
    filter: ViolationFilter,
    first: number,
    after?: CursorKey,
  ): Promise<Page<Violation>> {
    const conditions = violationConditions(teamId, filter);
    if (filter.triageState?.length) conditions.push(await this.triageCondition(teamId, filter.triageState));
    const where = Prisma.join(conditions, ' AND ');
    const page = after ? Prisma.sql`AND (v.created_at, v.id) < (${after.createdAt}, ${after.id}::uuid)` : Prisma.empty;
    const [rows, total] = await Promise.all([
      this.db.$queryRaw<ViolationRow[]>`
        SELECT v.*, ${effectiveTriageState} AS triage_state
        FROM violation v LEFT JOIN violation_triage t ON t.team_id = v.team_id AND t.fingerprint = v.fingerprint
        WHERE ${where} ${page}
        ORDER BY v.created_at DESC, v.id DESC
        LIMIT ${first + 1}`,
      this.db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM violation v WHERE ${where}`,
    ]);
    return {
      items: rows.slice(0, first).map(toViolation),
      hasNextPage: rows.length > first,
      totalCount: Number(total[0]?.n ?? 0),
    };
  }

  /**
   * A triage-state filter as a condition on fingerprints alone: the team's triage rows are few, so
   * their effective states are resolved first and the violation scan needs no join.
   */
  private async triageCondition(teamId: string, states: readonly TriageState[]): Promise<Prisma.Sql> {
    const rows = await this.db.$queryRaw<Array<{ fingerprint: string; state: TriageState }>>`
      SELECT t.fingerprint, ${effectiveTriageState} AS state FROM violation_triage t WHERE t.team_id = ${teamId}::uuid`;
    const wanted = new Set(states);
    if (wanted.has('OPEN')) {
      const excluded = rows.filter((row) => !wanted.has(row.state)).map((row) => row.fingerprint);
      return excluded.length === 0 ? Prisma.sql`TRUE` : Prisma.sql`v.fingerprint <> ALL(${excluded}::text[])`;
    }
    const included = rows.filter((row) => wanted.has(row.state)).map((row) => row.fingerprint);
    return Prisma.sql`v.fingerprint = ANY(${included}::text[])`;
  }

  /** Every violation of a run (runs hold at most a few hundred distinct fingerprints). */
  async violationsOfRun(teamId: string, runId: string): Promise<Violation[]> {
    const rows = await this.db.$queryRaw<ViolationRow[]>`
      SELECT v.*, ${effectiveTriageState} AS triage_state
      FROM violation v LEFT JOIN violation_triage t ON t.team_id = v.team_id AND t.fingerprint = v.fingerprint
      WHERE v.team_id = ${teamId}::uuid AND v.run_id = ${runId}::uuid
      ORDER BY v.class, v.device_id, v.fingerprint`;
    return rows.map(toViolation);
  }

  async findMetrics(teamId: string, runId: string): Promise<AllocatorMetrics | undefined> {
    const row = await this.db.allocatorMetrics.findFirst({ where: { runId, teamId } });
    if (!row) return undefined;
    return {
      runId: row.runId,
      nslabs: row.nslabs,
      nareas: row.nareas,
      used: row.used,
      hiwater: row.hiwater,
      failedMaps: row.failedMaps,
      failedCoherentAllocs: row.failedCoherentAllocs,
      bouncedBytesToDevice: row.bouncedBytesToDevice,
      bouncedBytesFromDevice: row.bouncedBytesFromDevice,
      all: row.metrics as Record<string, unknown>,
    };
  }

  /** Every stored metric sample of some runs, raw (the CSV export's rows). */
  async samplesOfRuns(
    teamId: string,
    runIds: readonly string[],
  ): Promise<Array<{ runId: string; metric: string; t: bigint; value: number }>> {
    return this.db.metricSample.findMany({
      where: { teamId, runId: { in: [...runIds] } },
      orderBy: [{ runId: 'asc' }, { metric: 'asc' }, { t: 'asc' }],
      select: { runId: true, metric: true, t: true, value: true },
    });
  }

  /**
   * A run's series for the given metrics, averaged into at most `buckets` equal-width buckets of
   * virtual time (width_bucket over the run's own time span), one point per non-empty bucket.
   */
  async series(
    teamId: string,
    runId: string,
    metrics: readonly string[],
    buckets: number,
  ): Promise<Map<string, MetricPoint[]>> {
    const rows = await this.db.$queryRaw<Array<{ metric: string; t: bigint; value: number }>>`
      WITH span AS (
        SELECT min(t) AS lo, max(t) AS hi FROM metric_sample WHERE run_id = ${runId}::uuid AND team_id = ${teamId}::uuid
      ), bucketed AS (
        SELECT s.metric, s.t, s.value,
               CASE WHEN span.hi = span.lo THEN 0 ELSE least(floor((s.t - span.lo)::numeric * ${buckets} / (span.hi - span.lo + 1)), ${buckets - 1}) END AS b
        FROM metric_sample s, span
        WHERE s.run_id = ${runId}::uuid AND s.team_id = ${teamId}::uuid AND s.metric = ANY(${[...metrics]}::text[])
      )
      SELECT metric, max(t)::bigint AS t, avg(value)::float8 AS value FROM bucketed GROUP BY metric, b ORDER BY metric, t`;
    const byMetric = new Map<string, MetricPoint[]>(metrics.map((m) => [m, []]));
    for (const row of rows) byMetric.get(row.metric)?.push({ t: row.t, value: row.value });
    return byMetric;
  }
}

function violationConditions(teamId: string, filter: ViolationFilter): Prisma.Sql[] {
  const conditions = [Prisma.sql`v.team_id = ${teamId}::uuid`];
  if (filter.class?.length) conditions.push(Prisma.sql`v.class = ANY(${[...filter.class]}::text[])`);
  if (filter.severity?.length) conditions.push(Prisma.sql`v.severity = ANY(${[...filter.severity]}::text[])`);
  if (filter.deviceId) conditions.push(Prisma.sql`v.device_id = ${filter.deviceId}`);
  if (filter.fingerprint) conditions.push(Prisma.sql`v.fingerprint = ${filter.fingerprint}`);
  if (filter.runId) conditions.push(Prisma.sql`v.run_id = ${filter.runId}::uuid`);
  if (filter.scenarioId) conditions.push(Prisma.sql`v.scenario_id = ${filter.scenarioId}::uuid`);
  if (filter.createdAt?.from) conditions.push(Prisma.sql`v.created_at >= ${filter.createdAt.from}`);
  if (filter.createdAt?.to) conditions.push(Prisma.sql`v.created_at < ${filter.createdAt.to}`);
  return conditions;
}

function toViolation(row: ViolationRow): Violation {
  return {
    id: row.id,
    teamId: row.team_id,
    runId: row.run_id,
    scenarioId: row.scenario_id,
    class: row.class,
    severity: row.severity,
    deviceId: row.device_id,
    fingerprint: row.fingerprint,
    count: BigInt(row.count),
    bytesExposed: BigInt(row.bytes_exposed),
    dataClass: row.data_class,
    firstOp: BigInt(row.first_op),
    path: row.path,
    rule: row.rule,
    explanation: row.explanation,
    triageState: row.triage_state,
    createdAt: row.created_at,
  };
}
