import type { Database } from '../../platform/db';
import type { TriageState } from '../result/result.types';

/** A team's triage decision for one fingerprint, as a comparison applies it. */
export interface TriageDecisionRow {
  readonly state: TriageState;
  readonly reason: string | null;
  readonly owner: string | null;
  readonly expiresAt: Date | null;
}

/**
 * The history of violation fingerprints a comparison needs: the team's triage decisions and which
 * fingerprints its runs found before. Injected into the suite service as a narrow reader.
 */
export class FindingHistoryRepository {
  constructor(private readonly db: Database) {}

  async triageFor(teamId: string, fingerprints: readonly string[]): Promise<Map<string, TriageDecisionRow>> {
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
}
