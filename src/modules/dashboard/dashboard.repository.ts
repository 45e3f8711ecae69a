import type { Database } from '../../platform/db';

export interface DashboardRange {
  readonly from: Date;
  readonly to: Date;
}

/** Aggregate SQL for the team dashboard; each query is bounded by team and time range and uses an index. */
export class DashboardRepository {
  constructor(private readonly db: Database) {}

  runsByStatus(teamId: string, range: DashboardRange): Promise<Array<{ day: Date; status: string; count: number }>> {
    return this.db.$queryRaw`
      SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, status::text AS status, count(*)::int AS count
      FROM run WHERE team_id = ${teamId}::uuid AND created_at >= ${range.from} AND created_at < ${range.to}
      GROUP BY 1, 2 ORDER BY 1, 2`;
  }

  violationsByClass(teamId: string, range: DashboardRange): Promise<Array<{ day: Date; class: string; severity: string; count: number }>> {
    // From the rollup kept by ResultRepository.saveRunResult; whole UTC days overlapping the range.
    return this.db.$queryRaw`
      SELECT day::timestamp AT TIME ZONE 'UTC' AS day, class, severity, count::int AS count
      FROM violation_daily_count
      WHERE team_id = ${teamId}::uuid AND day >= (${range.from}::timestamptz AT TIME ZONE 'UTC')::date AND day <= (${range.to}::timestamptz AT TIME ZONE 'UTC')::date
      ORDER BY 1, 2, 3`;
  }

  /** Critical violations of each scenario's latest successful run that are not acknowledged, waived or fixed. */
  riskiestScenarios(teamId: string, limit: number): Promise<Array<{ scenario_id: string; open_critical: number }>> {
    return this.db.$queryRaw`
      WITH latest AS (
        SELECT DISTINCT ON (scenario_id) scenario_id, id
        FROM run WHERE team_id = ${teamId}::uuid AND status = 'SUCCEEDED'
        ORDER BY scenario_id, finished_at DESC
      )
      SELECT l.scenario_id, count(*)::int AS open_critical
      FROM latest l
      JOIN violation v ON v.run_id = l.id AND v.team_id = ${teamId}::uuid AND v.severity = 'critical'
      LEFT JOIN violation_triage t ON t.team_id = v.team_id AND t.fingerprint = v.fingerprint
      WHERE t.state IS NULL OR t.state = 'OPEN' OR (t.state = 'WAIVED' AND t.expires_at IS NOT NULL AND t.expires_at <= now())
      GROUP BY l.scenario_id ORDER BY open_critical DESC, l.scenario_id LIMIT ${limit}`;
  }

  headroom(teamId: string, range: DashboardRange, scenarioLimit: number, pointLimit: number): Promise<Array<{ scenario_id: string; run_id: string; at: Date; fraction: number }>> {
    return this.db.$queryRaw`
      WITH ranked AS (
        SELECT scenario_id, run_id, created_at, hiwater::float8 / nullif(nslabs, 0) AS fraction,
               row_number() OVER (PARTITION BY scenario_id ORDER BY created_at DESC) AS rn
        FROM allocator_metrics WHERE team_id = ${teamId}::uuid AND created_at >= ${range.from} AND created_at < ${range.to}
      ), chosen AS (
        SELECT scenario_id FROM ranked GROUP BY scenario_id ORDER BY max(created_at) DESC LIMIT ${scenarioLimit}
      )
      SELECT r.scenario_id, r.run_id, r.created_at AS at, coalesce(r.fraction, 0) AS fraction
      FROM ranked r JOIN chosen c USING (scenario_id)
      WHERE r.rn <= ${pointLimit}
      ORDER BY r.scenario_id, r.created_at`;
  }
}
