import type { Database } from '../../platform/db';
import type { RunReplay as RunReplayRow } from '../../generated/prisma/client';
import type { RunReplay } from './regression.types';

/** All SQL of replay checks (the run_replay table). */
export class ReplayRepository {
  constructor(private readonly db: Database) {}

  async insertReplay(input: {
    teamId: string;
    runId: string;
    engineVersion: string;
    expectedHash: string;
    actualHash: string;
  }): Promise<RunReplay> {
    return toReplay(
      await this.db.runReplay.create({ data: { ...input, identical: input.expectedHash === input.actualHash } }),
    );
  }

  async listReplays(teamId: string, onlyDefects: boolean, first: number): Promise<RunReplay[]> {
    return (
      await this.db.runReplay.findMany({
        where: { teamId, ...(onlyDefects ? { identical: false } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first,
      })
    ).map(toReplay);
  }
}

function toReplay(row: RunReplayRow): RunReplay {
  return {
    id: row.id,
    runId: row.runId,
    engineVersion: row.engineVersion,
    expectedHash: row.expectedHash,
    actualHash: row.actualHash,
    identical: row.identical,
    createdAt: row.createdAt,
  };
}
