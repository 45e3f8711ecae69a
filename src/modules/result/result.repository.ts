import type { Database } from '../../platform/db';
import { Prisma } from '../../generated/prisma/client';
import type { CursorKey, Page } from '../common/cursor';
import { notifyRunUpdatedAfterCommit } from '../run/run.repository';
import type {
  AllocatorMetrics,
  MetricPoint,
  RunResultRecord,
  TriageState,
  Violation,
  ViolationFilter,
} from './result.types';
import type { StoredRunResult } from './result.types';

/**
 * The columns of ViolationRow, listed: a prepared statement's result type must not change when a
 * migration adds a column to the table (PostgreSQL refuses a cached plan whose `v.*` grew).
 */
const violationColumns = Prisma.raw(
  'v.id, v.team_id, v.run_id, v.scenario_id, v.class, v.severity, v.device_id, v.fingerprint, v.count, v.bytes_exposed, v.data_class, v.first_op, v.path, v.rule, v.explanation, v.created_at',
);

/** A violation row: bigint columns arrive as bigint through Prisma and as strings through node-postgres. */
interface ViolationRow {
  id: string;
  team_id: string;
  run_id: string;
  scenario_id: string;
  class: string;
  severity: string;
  device_id: string;
  fingerprint: string;
  count: bigint | string;
  bytes_exposed: bigint | string;
  data_class: string;
  first_op: bigint | string;
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

/**
 * The result statement (ResultRepository.saveRunResult), prepared once per connection: its text is
 * the same for every run, and planning a statement of this size on every call cost PostgreSQL more
 * than executing it for a small run.
 */
const saveRunResultStatement = {
  name: 'dmasim_run_result_save',
  text: `
      WITH moved AS (
        UPDATE run SET status = 'SUCCEEDED', result_hash = $1, progress = 1, finished_at = clock_timestamp(),
          verdict = $2, verdict_levels = $3::text[], summary = $4::jsonb
        WHERE id = $5::uuid AND team_id = $6::uuid AND status = 'RUNNING' AND run_notify_after_commit()
        RETURNING id, team_id, scenario_id, profile, overlays, finished_at, run_updated_payload(run) AS run_updated_payload
      ), found AS (
        SELECT * FROM unnest(
          $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::text[],
          $14::bigint[], $15::text[], $16::text[], $17::text[]
        ) AS f (class, severity, device_id, fingerprint, count, bytes_exposed, data_class, first_op, path, rule, explanation)
      ), report AS (
        INSERT INTO run_report (run_id, team_id, report, created_at)
        SELECT id, team_id, $18::jsonb, finished_at FROM moved
      ), violations AS (
        INSERT INTO violation (team_id, run_id, scenario_id, class, severity, device_id, fingerprint, count, bytes_exposed, data_class, first_op, path, rule, explanation, created_at)
        SELECT m.team_id, m.id, m.scenario_id, f.class, f.severity, f.device_id, f.fingerprint, f.count, f.bytes_exposed, f.data_class, f.first_op, f.path, f.rule, f.explanation, m.finished_at
        FROM moved m CROSS JOIN found f
      ), daily AS (
        INSERT INTO violation_daily_count (team_id, day, class, severity, shard, count)
        SELECT m.team_id, (m.finished_at AT TIME ZONE 'UTC')::date, f.class, f.severity, rollup_shard(), count(*)
        FROM moved m CROSS JOIN found f GROUP BY 1, 2, 3, 4 ORDER BY 3, 4
        ON CONFLICT (team_id, day, class, severity, shard) DO UPDATE SET count = violation_daily_count.count + EXCLUDED.count
      ), metrics AS (
        INSERT INTO allocator_metrics (run_id, team_id, scenario_id, nslabs, nareas, used, hiwater, failed_maps, failed_coherent_allocs, bounced_bytes_to_device, bounced_bytes_from_device, metrics, created_at)
        SELECT id, team_id, scenario_id, $19::int, $20::int, $21::int, $22::int,
               $23::bigint, $24::bigint, $25::bigint, $26::bigint, $27::jsonb, finished_at
        FROM moved
      ), series AS (
        INSERT INTO metric_series (run_id, team_id, metric, t, value)
        SELECT m.id, m.team_id, x.metric, x.t::bigint[], x.value::float8[]
        FROM moved m CROSS JOIN unnest($28::text[], $29::text[], $30::text[]) AS x (metric, t, value)
      ), latest AS (
        INSERT INTO scenario_kernel_latest_run (team_id, scenario_id, profile, overlays, shard, run_id, finished_at, critical_violations)
        SELECT team_id, scenario_id, profile, overlays, rollup_shard(), id, finished_at, (SELECT count(*) FROM found WHERE severity = 'critical')::int
        FROM moved
        ON CONFLICT (team_id, scenario_id, profile, overlays, shard) DO UPDATE
        SET run_id = EXCLUDED.run_id, finished_at = EXCLUDED.finished_at, critical_violations = EXCLUDED.critical_violations
        WHERE scenario_kernel_latest_run.finished_at <= EXCLUDED.finished_at
      ), headroom AS (
        INSERT INTO scenario_headroom_latest (team_id, scenario_id, shard, run_id, at, hiwater_fraction)
        SELECT team_id, scenario_id, rollup_shard(), id, finished_at, $31::float8 FROM moved
        ON CONFLICT (team_id, scenario_id, shard) DO UPDATE
        SET run_id = EXCLUDED.run_id, at = EXCLUDED.at, hiwater_fraction = EXCLUDED.hiwater_fraction
        WHERE scenario_headroom_latest.at <= EXCLUDED.at
      ), version AS (
        INSERT INTO team_dashboard_version (team_id, shard, version) SELECT team_id, rollup_shard(), 1 FROM moved
        ON CONFLICT (team_id, shard) DO UPDATE SET version = team_dashboard_version.version + 1
      )
      SELECT m.finished_at, m.run_updated_payload,
             EXISTS (SELECT 1 FROM run_replay r WHERE r.replay_run_id = m.id AND r.actual_hash IS NULL) AS replay_pending
      FROM moved m`,
};

/** All SQL for run results: reports, violations (with triage), metrics and series. */
export class ResultRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a run's results and marks it SUCCEEDED (with its verdict, verdict levels and summary), only if the run is RUNNING: a duplicate or
   * retried job, or a run cancelled meanwhile, writes nothing. One SQL statement (so one round trip
   * and one implicit transaction): the run row moves first and every insert reads from it, so no
   * row is written unless the run moved. Violations go in as one multi-row insert (unnest), the
   * series as one row per metric (t and value arrays); the dashboard rollups (violations per day, latest run per scenario and kernel,
   * newest headroom point, the team's dashboard version; each on this connection's shard row, so
   * that concurrent results, of one scenario too, do not queue on one row lock) move in the same
   * statement. The run's
   * change notification (`runUpdatedChannel`, live updates) is sent right after the commit, not by
   * the run table's trigger inside it (notifyRunUpdatedAfterCommit). `finished_at`
   * is the database's clock inside that statement, i.e. at commit. Returns it, or undefined when
   * nothing was written.
   */
  async saveRunResult(record: RunResultRecord): Promise<StoredRunResult | undefined> {
    const v = record.violations;
    const { all, ...m } = record.metrics;
    const series = seriesRows(record.samples);
    const [written] = await this.db.sql.rows<{
      finished_at: Date;
      run_updated_payload: string;
      replay_pending: boolean;
    }>(saveRunResultStatement, [
      record.resultHash,
      record.summary.verdict,
      [...record.summary.levels],
      jsonText(record.summary),
      record.runId,
      record.teamId,
      v.map((x) => x.class),
      v.map((x) => x.severity),
      v.map((x) => x.deviceId),
      v.map((x) => x.fingerprint),
      v.map((x) => x.count.toString()),
      v.map((x) => x.bytesExposed.toString()),
      v.map((x) => x.dataClass),
      v.map((x) => x.firstOp.toString()),
      v.map((x) => x.path),
      v.map((x) => x.rule),
      v.map((x) => x.explanation),
      jsonText(record.report),
      m.nslabs,
      m.nareas,
      m.used,
      m.hiwater,
      m.failedMaps.toString(),
      m.failedCoherentAllocs.toString(),
      m.bouncedBytesToDevice.toString(),
      m.bouncedBytesFromDevice.toString(),
      jsonText(all),
      series.map((x) => x.metric),
      series.map((x) => x.t),
      series.map((x) => x.value),
      m.nslabs === 0 ? 0 : m.hiwater / m.nslabs,
    ]);
    if (!written) return undefined;
    await notifyRunUpdatedAfterCommit(this.db, written.run_updated_payload);
    return { finishedAt: written.finished_at, replayPending: written.replay_pending };
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
    // Prepared by shape (platform/db.ts rowsOfSql): a client reading a run's violations after every
    // run sends the same two shapes again and again.
    const [rows, total] = await Promise.all([
      this.db.sql.rowsOfSql<ViolationRow>(Prisma.sql`
        SELECT ${violationColumns}, ${effectiveTriageState} AS triage_state
        FROM violation v LEFT JOIN violation_triage t ON t.team_id = v.team_id AND t.fingerprint = v.fingerprint
        WHERE ${where} ${page}
        ORDER BY v.created_at DESC, v.id DESC
        LIMIT ${first + 1}`),
      this.db.sql.rowsOfSql<{ n: string }>(Prisma.sql`SELECT count(*) AS n FROM violation v WHERE ${where}`),
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

  /** Every stored metric sample of some runs, raw (the CSV export's rows), by run, metric and t. */
  async samplesOfRuns(
    teamId: string,
    runIds: readonly string[],
  ): Promise<Array<{ runId: string; metric: string; t: bigint; value: number }>> {
    const rows = await this.db.$queryRaw<Array<{ run_id: string; metric: string; t: bigint; value: number }>>`
      SELECT s.run_id, s.metric, x.t, x.value
      FROM metric_series s CROSS JOIN unnest(s.t, s.value) AS x (t, value)
      WHERE s.team_id = ${teamId}::uuid AND s.run_id = ANY(${[...runIds]}::uuid[])
      ORDER BY s.run_id, s.metric, x.t`;
    return rows.map((row) => ({ runId: row.run_id, metric: row.metric, t: row.t, value: row.value }));
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
      WITH samples AS (
        SELECT s.metric, x.t, x.value
        FROM metric_series s CROSS JOIN unnest(s.t, s.value) AS x (t, value)
        WHERE s.run_id = ${runId}::uuid AND s.team_id = ${teamId}::uuid
      ), span AS (
        SELECT min(t) AS lo, max(t) AS hi FROM samples
      ), bucketed AS (
        SELECT s.metric, s.t, s.value,
               CASE WHEN span.hi = span.lo THEN 0 ELSE least(floor((s.t - span.lo)::numeric * ${buckets} / (span.hi - span.lo + 1)), ${buckets - 1}) END AS b
        FROM samples s, span
        WHERE s.metric = ANY(${[...metrics]}::text[])
      )
      SELECT metric, max(t)::bigint AS t, avg(value)::float8 AS value FROM bucketed GROUP BY metric, b ORDER BY metric, t`;
    const byMetric = new Map<string, MetricPoint[]>(metrics.map((m) => [m, []]));
    for (const row of rows) byMetric.get(row.metric)?.push({ t: row.t, value: row.value });
    return byMetric;
  }
}

/**
 * A run's samples as one row per metric, in the order given: `t` and `value` as PostgreSQL array
 * literals (text), cast to bigint[] and float8[] in SQL, so the statement takes three parameters
 * for the series however many samples there are. JS prints every float exactly (and NaN/Infinity
 * as PostgreSQL reads them).
 */
function seriesRows(samples: RunResultRecord['samples']): Array<{ metric: string; t: string; value: string }> {
  const byMetric = new Map<string, { t: string[]; value: string[] }>();
  for (const sample of samples) {
    let series = byMetric.get(sample.metric);
    if (!series) byMetric.set(sample.metric, (series = { t: [], value: [] }));
    series.t.push(sample.t.toString());
    series.value.push(String(sample.value));
  }
  return [...byMetric].map(([metric, series]) => ({
    metric,
    t: `{${series.t.join(',')}}`,
    value: `{${series.value.join(',')}}`,
  }));
}

/** JSON text for a jsonb parameter; a bigint becomes a number when exact, else a decimal string. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? (Number.isSafeInteger(Number(item)) ? Number(item) : item.toString()) : item,
  );
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
