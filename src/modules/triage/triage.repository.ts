import type { Database } from '../../platform/db';
import type { ViolationTriage as TriageRow } from '../../generated/prisma/client';
import type { Triage, TriageState } from '../result/result.types';

/** All SQL for triage decisions, keyed by (team, fingerprint). */
export class TriageRepository {
  constructor(private readonly db: Database) {}

  async upsert(input: {
    teamId: string;
    fingerprint: string;
    state: TriageState;
    reason: string | null;
    owner: string | null;
    expiresAt: Date | null;
    tokenId: string;
    now: Date;
  }): Promise<Triage> {
    const data = {
      state: input.state,
      reason: input.reason,
      owner: input.owner,
      expiresAt: input.expiresAt,
      updatedAt: input.now,
      updatedByTokenId: input.tokenId,
    };
    const row = await this.db.violationTriage.upsert({
      where: { teamId_fingerprint: { teamId: input.teamId, fingerprint: input.fingerprint } },
      create: { teamId: input.teamId, fingerprint: input.fingerprint, ...data },
      update: data,
    });
    return toTriage(row);
  }

  async fingerprintSeen(teamId: string, fingerprint: string): Promise<boolean> {
    return (await this.db.violation.findFirst({ where: { teamId, fingerprint }, select: { id: true } })) !== null;
  }
}

function toTriage(row: TriageRow): Triage {
  return {
    fingerprint: row.fingerprint,
    state: row.state,
    reason: row.reason,
    owner: row.owner,
    expiresAt: row.expiresAt,
    updatedAt: row.updatedAt,
  };
}
