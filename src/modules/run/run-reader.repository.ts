import type { Database } from '../../platform/db';
import type { RunStatus } from './run.types';

/** A stored violation as a comparison reads it: the finding and its exposure (no ids, triage state or timestamps). */
export interface ViolationForComparison {
  readonly fingerprint: string;
  readonly class: string;
  readonly severity: string;
  readonly deviceId: string;
  readonly path: string;
  readonly rule: string;
  readonly explanation: string;
  readonly dataClass: string;
  readonly count: bigint;
  readonly bytesExposed: bigint;
}

/** Picks a comparison's fields from a stored violation (a violation row, or the result module's Violation). */
export function violationForComparison(v: ViolationForComparison): ViolationForComparison {
  return {
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
  };
}

/** A run with everything a suite comparison needs (its scenario's name and spec, violations, metrics), read in one query. */
export interface RunForComparison {
  readonly runId: string;
  readonly scenarioId: string;
  readonly scenarioName: string;
  readonly profile: string;
  readonly status: RunStatus;
  /** Every verdict level of the run's report, worst first (the run's verdict model); empty unless SUCCEEDED. */
  readonly levels: readonly string[];
  readonly engineVersion: string;
  readonly seed: bigint;
  readonly resultHash: string | null;
  readonly spec: Record<string, unknown>;
  readonly violations: readonly ViolationForComparison[];
  readonly metrics: Readonly<Record<string, number | string>>;
  readonly createdAt: Date;
}

/**
 * Team-scoped reads of runs for consumers outside the run module (the suite service's batch
 * progress, comparison and queue cap). Injected by the composition root as a narrow reader.
 */
export class RunReaderRepository {
  constructor(private readonly db: Database) {}

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
      levels: row.verdictLevels,
      engineVersion: row.engineVersion,
      seed: row.seed,
      resultHash: row.resultHash,
      spec: row.scenarioVersion.spec as Record<string, unknown>,
      createdAt: row.createdAt,
      violations: row.violations.map(violationForComparison),
      metrics: (row.allocatorMetrics?.metrics ?? {}) as Record<string, number | string>,
    }));
  }

  /** Just the statuses of some runs (progress displays poll this). */
  async runStatuses(teamId: string, runIds: readonly string[]): Promise<RunStatus[]> {
    return (await this.db.run.findMany({ where: { teamId, id: { in: [...runIds] } }, select: { status: true } })).map(
      (r) => r.status,
    );
  }

  /** How many of the team's runs wait in the queue (QUEUED). */
  /** Every submit asks this (the queue cap): a prepared statement (platform/db.ts `sql`). */
  async queuedRunCount(teamId: string): Promise<number> {
    const [row] = await this.db.sql.rows<{ queued: number }>(queuedRunCountStatement, [teamId]);
    return row?.queued ?? 0;
  }
}

const queuedRunCountStatement = {
  name: 'dmasim_run_queued_count',
  text: `SELECT count(*)::int AS queued FROM run WHERE team_id = $1::uuid AND status = 'QUEUED'`,
};
