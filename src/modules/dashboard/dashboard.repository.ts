import { Prisma } from '../../generated/prisma/client';
import type { Database } from '../../platform/db';

export interface DashboardRange {
  readonly from: Date;
  readonly to: Date;
}

/** A headroom point as json_build_object gives it (timestamps as ISO text). */
interface HeadroomPointJson {
  runId: string;
  at: string;
  fraction: number;
}

/** A newer shard row of the same scenario than `h` in scenario_headroom_latest (h is then not the scenario's newest point). */
const newerHeadroomRow = Prisma.sql`SELECT 1 FROM scenario_headroom_latest n
  WHERE n.team_id = h.team_id AND n.scenario_id = h.scenario_id AND (n.at, n.run_id) > (h.at, h.run_id)`;

/** Aggregate SQL for the team dashboard; each query is bounded by team and time range and uses an index. */
export class DashboardRepository {
  constructor(private readonly db: Database) {}

  runsByStatus(teamId: string, range: DashboardRange): Promise<Array<{ day: Date; status: string; count: number }>> {
    // From the trigger-maintained rollup (its shards added up); whole UTC days overlapping the range.
    return this.db.$queryRaw`
      SELECT day::timestamp AT TIME ZONE 'UTC' AS day, status::text AS status, sum(count)::int AS count
      FROM run_daily_status_count
      WHERE team_id = ${teamId}::uuid
        AND day >= (${range.from}::timestamptz AT TIME ZONE 'UTC')::date AND day <= (${range.to}::timestamptz AT TIME ZONE 'UTC')::date
      GROUP BY day, status HAVING sum(count) > 0
      ORDER BY 1, 2`;
  }

  violationsByClass(
    teamId: string,
    range: DashboardRange,
  ): Promise<Array<{ day: Date; class: string; severity: string; count: number }>> {
    // From the rollup kept by ResultRepository.saveRunResult (its shards added up); whole UTC days
    // overlapping the range.
    return this.db.$queryRaw`
      SELECT day::timestamp AT TIME ZONE 'UTC' AS day, class, severity, sum(count)::int AS count
      FROM violation_daily_count
      WHERE team_id = ${teamId}::uuid AND day >= (${range.from}::timestamptz AT TIME ZONE 'UTC')::date AND day <= (${range.to}::timestamptz AT TIME ZONE 'UTC')::date
      GROUP BY day, class, severity
      ORDER BY 1, 2, 3`;
  }

  /**
   * Folds the counter shards of the UTC days before the one holding `beforeDay` into shard 0 of their keys (one
   * transaction per table), so that a past day is one row per key again and the dashboard's reads
   * add up 16 rows per key only for the days still written. Rows another transaction holds are
   * skipped (folded at a later call), so this never waits on a writer and any number of workers may
   * fold at once; shard-0 rows are then taken in key order, the order writers take a key's rows in.
   * Returns how many keys were folded.
   */
  async foldCounterShards(beforeDay: Date): Promise<number> {
    const folded = await Promise.all([
      this.db.$executeRaw`
        WITH picked AS (
          SELECT team_id, day, status, shard FROM run_daily_status_count
          WHERE day < (${beforeDay}::timestamptz AT TIME ZONE 'UTC')::date AND shard <> 0 FOR UPDATE SKIP LOCKED
        ), gone AS (
          DELETE FROM run_daily_status_count c USING picked p
          WHERE c.team_id = p.team_id AND c.day = p.day AND c.status = p.status AND c.shard = p.shard
          RETURNING c.team_id, c.day, c.status, c.count
        )
        INSERT INTO run_daily_status_count AS c (team_id, day, status, shard, count)
        SELECT team_id, day, status, 0, sum(count) FROM gone GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (team_id, day, status, shard) DO UPDATE SET count = c.count + EXCLUDED.count`,
      this.db.$executeRaw`
        WITH picked AS (
          SELECT team_id, day, class, severity, shard FROM violation_daily_count
          WHERE day < (${beforeDay}::timestamptz AT TIME ZONE 'UTC')::date AND shard <> 0 FOR UPDATE SKIP LOCKED
        ), gone AS (
          DELETE FROM violation_daily_count c USING picked p
          WHERE c.team_id = p.team_id AND c.day = p.day AND c.class = p.class AND c.severity = p.severity
            AND c.shard = p.shard
          RETURNING c.team_id, c.day, c.class, c.severity, c.count
        )
        INSERT INTO violation_daily_count AS c (team_id, day, class, severity, shard, count)
        SELECT team_id, day, class, severity, 0, sum(count) FROM gone GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (team_id, day, class, severity, shard) DO UPDATE SET count = c.count + EXCLUDED.count`,
    ]);
    return folded[0] + folded[1];
  }

  /**
   * Folds the shard rows of the riskiest-scenarios and headroom rollups into shard 0 (one
   * statement per table): each key's rows off shard 0 are deleted and the newest of them replaces
   * the shard-0 row when it is newer, so a key keeps its newest row and a key not written since
   * holds one. As with the counters, rows a writer holds are skipped (folded at a later call) and
   * shard-0 rows are taken in key order. Returns how many keys were folded.
   */
  async foldLatestShards(): Promise<number> {
    const folded = await Promise.all([
      this.db.$executeRaw`
        WITH picked AS (
          SELECT team_id, scenario_id, profile, overlays, shard FROM scenario_kernel_latest_run
          WHERE shard <> 0 FOR UPDATE SKIP LOCKED
        ), gone AS (
          DELETE FROM scenario_kernel_latest_run k USING picked p
          WHERE k.team_id = p.team_id AND k.scenario_id = p.scenario_id AND k.profile = p.profile
            AND k.overlays = p.overlays AND k.shard = p.shard
          RETURNING k.team_id, k.scenario_id, k.profile, k.overlays, k.run_id, k.finished_at, k.critical_violations
        )
        INSERT INTO scenario_kernel_latest_run AS k (team_id, scenario_id, profile, overlays, shard, run_id, finished_at, critical_violations)
        SELECT DISTINCT ON (team_id, scenario_id, profile, overlays)
               team_id, scenario_id, profile, overlays, 0, run_id, finished_at, critical_violations
        FROM gone ORDER BY team_id, scenario_id, profile, overlays, finished_at DESC, run_id DESC
        ON CONFLICT (team_id, scenario_id, profile, overlays, shard) DO UPDATE
        SET run_id = EXCLUDED.run_id, finished_at = EXCLUDED.finished_at, critical_violations = EXCLUDED.critical_violations
        WHERE (k.finished_at, k.run_id) < (EXCLUDED.finished_at, EXCLUDED.run_id)`,
      this.db.$executeRaw`
        WITH picked AS (
          SELECT team_id, scenario_id, shard FROM scenario_headroom_latest WHERE shard <> 0 FOR UPDATE SKIP LOCKED
        ), gone AS (
          DELETE FROM scenario_headroom_latest h USING picked p
          WHERE h.team_id = p.team_id AND h.scenario_id = p.scenario_id AND h.shard = p.shard
          RETURNING h.team_id, h.scenario_id, h.run_id, h.at, h.hiwater_fraction
        )
        INSERT INTO scenario_headroom_latest AS h (team_id, scenario_id, shard, run_id, at, hiwater_fraction)
        SELECT DISTINCT ON (team_id, scenario_id) team_id, scenario_id, 0, run_id, at, hiwater_fraction
        FROM gone ORDER BY team_id, scenario_id, at DESC, run_id DESC
        ON CONFLICT (team_id, scenario_id, shard) DO UPDATE
        SET run_id = EXCLUDED.run_id, at = EXCLUDED.at, hiwater_fraction = EXCLUDED.hiwater_fraction
        WHERE (h.at, h.run_id) < (EXCLUDED.at, EXCLUDED.run_id)`,
    ]);
    return folded[0] + folded[1];
  }

  /**
   * The team's dashboard version (the cache's key): the sum of its shards, each bumped by the stored
   * results and triage decisions written on its connection, so the sum grows with every such write.
   */
  async version(teamId: string): Promise<bigint> {
    const rows = await this.db.$queryRaw<Array<{ version: bigint | null }>>`
      SELECT sum(version)::bigint AS version FROM team_dashboard_version WHERE team_id = ${teamId}::uuid`;
    return rows[0]?.version ?? 0n;
  }

  /**
   * Open critical violations of the latest successful run of each scenario under each kernel
   * (profile + overlays), from the scenario_kernel_latest_run rollup: its rows with critical
   * findings (a partial index) that no newer shard row of the same (scenario, kernel) replaces (a
   * primary-key probe each), then an index-only scan of violation_critical_run_idx (partial,
   * critical only) per run and the team's triage decisions. Open = no decision, OPEN, or a waiver
   * past its expiry.
   */
  riskiestScenarios(
    teamId: string,
    limit: number,
  ): Promise<
    Array<{
      scenario_id: string;
      profile: string;
      overlays: unknown;
      run_id: string;
      finished_at: Date;
      open_critical: number;
    }>
  > {
    return this.db.$queryRaw`
      SELECT k.scenario_id, k.profile, k.overlays, k.run_id, k.finished_at, count(*)::int AS open_critical
      FROM scenario_kernel_latest_run k
      JOIN violation v ON v.run_id = k.run_id AND v.severity = 'critical'
      LEFT JOIN violation_triage t ON t.team_id = k.team_id AND t.fingerprint = v.fingerprint
      WHERE k.team_id = ${teamId}::uuid AND k.critical_violations > 0
        AND NOT EXISTS (
          SELECT 1 FROM scenario_kernel_latest_run n
          WHERE n.team_id = k.team_id AND n.scenario_id = k.scenario_id AND n.profile = k.profile
            AND n.overlays = k.overlays AND (n.finished_at, n.run_id) > (k.finished_at, k.run_id))
        AND (t.state IS NULL OR t.state = 'OPEN' OR (t.state = 'WAIVED' AND t.expires_at IS NOT NULL AND t.expires_at <= now()))
      GROUP BY k.scenario_id, k.profile, k.overlays, k.run_id, k.finished_at
      ORDER BY open_critical DESC, k.scenario_id, k.profile, k.overlays::text
      LIMIT ${limit}`;
  }

  /**
   * The newest `pointLimit` headroom points of the `scenarioLimit` scenarios with the most recent
   * metrics in the range. The scenario_headroom_latest rollup holds each scenario's newest point
   * (the newest of its shard rows):
   * when it falls inside the range it is the scenario's latest point in range; only scenarios whose
   * newest point is past the range's end are probed in allocator_metrics. The points come from the
   * (team, scenario, created_at) index.
   */
  async headroom(
    teamId: string,
    range: DashboardRange,
    scenarioLimit: number,
    pointLimit: number,
  ): Promise<Array<{ scenarioId: string; points: Array<{ runId: string; at: Date; hiwaterFraction: number }> }>> {
    // One row per scenario with its points as a JSON array (oldest first): up to 2,000 points
    // converted row by row by the driver cost more than the queries themselves.
    const rows = await this.db.$queryRaw<Array<{ scenario_id: string; points: HeadroomPointJson[] }>>`
      WITH chosen AS (
        SELECT scenario_id, last_at FROM (
          SELECT h.scenario_id, h.at AS last_at FROM scenario_headroom_latest h
          WHERE h.team_id = ${teamId}::uuid AND h.at >= ${range.from} AND h.at < ${range.to}
            AND NOT EXISTS (${newerHeadroomRow})
          UNION ALL
          SELECT h.scenario_id, m.last_at FROM scenario_headroom_latest h
          CROSS JOIN LATERAL (
            SELECT created_at AS last_at FROM allocator_metrics
            WHERE team_id = ${teamId}::uuid AND scenario_id = h.scenario_id AND created_at >= ${range.from} AND created_at < ${range.to}
            ORDER BY created_at DESC LIMIT 1
          ) m
          WHERE h.team_id = ${teamId}::uuid AND h.at >= ${range.to} AND NOT EXISTS (${newerHeadroomRow})
        ) c
        ORDER BY last_at DESC, scenario_id LIMIT ${scenarioLimit}
      )
      SELECT c.scenario_id,
             json_agg(json_build_object('runId', p.run_id, 'at', p.created_at, 'fraction', coalesce(p.hiwater::float8 / nullif(p.nslabs, 0), 0)) ORDER BY p.created_at) AS points
      FROM chosen c
      CROSS JOIN LATERAL (
        SELECT run_id, created_at, hiwater, nslabs FROM allocator_metrics
        WHERE team_id = ${teamId}::uuid AND scenario_id = c.scenario_id AND created_at >= ${range.from} AND created_at < ${range.to}
        ORDER BY created_at DESC LIMIT ${pointLimit}
      ) p
      GROUP BY c.scenario_id
      ORDER BY c.scenario_id`;
    return rows.map((row) => ({
      scenarioId: row.scenario_id,
      points: row.points.map((point) => ({
        runId: point.runId,
        at: new Date(point.at),
        hiwaterFraction: point.fraction,
      })),
    }));
  }
}
