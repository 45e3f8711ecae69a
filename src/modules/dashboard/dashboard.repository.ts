import type { Database } from '../../platform/db';

export interface DashboardRange {
  readonly from: Date;
  readonly to: Date;
}

/** Aggregate SQL for the team dashboard; each query is bounded by team and time range and uses an index. */
export class DashboardRepository {
  constructor(private readonly db: Database) {}

  runsByStatus(teamId: string, range: DashboardRange): Promise<Array<{ day: Date; status: string; count: number }>> {
    // From the trigger-maintained rollup; whole UTC days overlapping the range.
    return this.db.$queryRaw`
      SELECT day::timestamp AT TIME ZONE 'UTC' AS day, status::text AS status, count::int AS count
      FROM run_daily_status_count
      WHERE team_id = ${teamId}::uuid AND count > 0
        AND day >= (${range.from}::timestamptz AT TIME ZONE 'UTC')::date AND day <= (${range.to}::timestamptz AT TIME ZONE 'UTC')::date
      ORDER BY 1, 2`;
  }

  violationsByClass(
    teamId: string,
    range: DashboardRange,
  ): Promise<Array<{ day: Date; class: string; severity: string; count: number }>> {
    // From the rollup kept by ResultRepository.saveRunResult; whole UTC days overlapping the range.
    return this.db.$queryRaw`
      SELECT day::timestamp AT TIME ZONE 'UTC' AS day, class, severity, count::int AS count
      FROM violation_daily_count
      WHERE team_id = ${teamId}::uuid AND day >= (${range.from}::timestamptz AT TIME ZONE 'UTC')::date AND day <= (${range.to}::timestamptz AT TIME ZONE 'UTC')::date
      ORDER BY 1, 2, 3`;
  }

  /**
   * Critical violations of each scenario's latest successful run that are not acknowledged, waived
   * or fixed. One index probe per scenario (LATERAL) instead of scanning every successful run, then an index-only scan of violation_critical_run_idx (partial, critical only) per run.
   */
  riskiestScenarios(teamId: string, limit: number): Promise<Array<{ scenario_id: string; open_critical: number }>> {
    return this.db.$queryRaw`
      WITH latest AS (
        SELECT s.id AS scenario_id, r.id AS run_id
        FROM scenario s
        CROSS JOIN LATERAL (
          SELECT id FROM run WHERE team_id = ${teamId}::uuid AND scenario_id = s.id AND status = 'SUCCEEDED' ORDER BY finished_at DESC LIMIT 1
        ) r
        WHERE s.team_id = ${teamId}::uuid
      )
      SELECT l.scenario_id, count(*)::int AS open_critical
      FROM latest l
      JOIN violation v ON v.run_id = l.run_id AND v.team_id = ${teamId}::uuid AND v.severity = 'critical'
      LEFT JOIN violation_triage t ON t.team_id = v.team_id AND t.fingerprint = v.fingerprint
      WHERE t.state IS NULL OR t.state = 'OPEN' OR (t.state = 'WAIVED' AND t.expires_at IS NOT NULL AND t.expires_at <= now())
      GROUP BY l.scenario_id ORDER BY open_critical DESC, l.scenario_id LIMIT ${limit}`;
  }

  /** The newest `pointLimit` headroom points of the `scenarioLimit` scenarios with the most recent metrics, via index probes. */
  headroom(
    teamId: string,
    range: DashboardRange,
    scenarioLimit: number,
    pointLimit: number,
  ): Promise<Array<{ scenario_id: string; run_id: string; at: Date; fraction: number }>> {
    return this.db.$queryRaw`
      WITH chosen AS (
        SELECT s.id AS scenario_id, m.last_at
        FROM scenario s
        CROSS JOIN LATERAL (
          SELECT created_at AS last_at FROM allocator_metrics
          WHERE team_id = ${teamId}::uuid AND scenario_id = s.id AND created_at >= ${range.from} AND created_at < ${range.to}
          ORDER BY created_at DESC LIMIT 1
        ) m
        WHERE s.team_id = ${teamId}::uuid
        ORDER BY m.last_at DESC LIMIT ${scenarioLimit}
      )
      SELECT c.scenario_id, p.run_id, p.created_at AS at, coalesce(p.hiwater::float8 / nullif(p.nslabs, 0), 0) AS fraction
      FROM chosen c
      CROSS JOIN LATERAL (
        SELECT run_id, created_at, hiwater, nslabs FROM allocator_metrics
        WHERE team_id = ${teamId}::uuid AND scenario_id = c.scenario_id AND created_at >= ${range.from} AND created_at < ${range.to}
        ORDER BY created_at DESC LIMIT ${pointLimit}
      ) p
      ORDER BY c.scenario_id, p.created_at`;
  }
}
