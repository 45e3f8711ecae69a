import type { Database } from '../../platform/db';
import type { RunReplay as RunReplayRow } from '../../generated/prisma/client';
import type { RunReplay } from './regression.types';

/** All SQL of replay checks (the run_replay table). */
export class ReplayRepository {
  constructor(private readonly db: Database) {}

  /** A PENDING replay of `runId`, carried out by the queued run `replayRunId`. */
  async insertPendingReplay(input: {
    teamId: string;
    runId: string;
    replayRunId: string;
    engineVersion: string;
    expectedHash: string;
  }): Promise<RunReplay> {
    return toReplay(await this.db.runReplay.create({ data: input }));
  }

  /**
   * Records the hash of a replay run once its results are stored; idempotent, and a no-op for runs
   * that are not replays. Returns the replay when this call recorded it.
   */
  async recordReplayResult(replayRunId: string, actualHash: string): Promise<RunReplay | undefined> {
    const pending = await this.db.runReplay.findFirst({ where: { replayRunId, actualHash: null } });
    if (!pending) return undefined;
    const updated = await this.db.runReplay.updateMany({
      where: { id: pending.id, actualHash: null },
      data: { actualHash, identical: pending.expectedHash === actualHash },
    });
    return updated.count === 1
      ? toReplay({ ...pending, actualHash, identical: pending.expectedHash === actualHash })
      : undefined;
  }

  /** A team's replays, newest first; `onlyDefects` keeps those whose hash differed. */
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

/** The stored row as a replay; a row without a hash is PENDING (the service turns it NOT_COMPLETED when its run ended without a result). */
function toReplay(row: RunReplayRow): RunReplay {
  return {
    id: row.id,
    runId: row.runId,
    replayRunId: row.replayRunId,
    status: row.identical === null ? 'PENDING' : row.identical ? 'IDENTICAL' : 'DIFFERENT',
    engineVersion: row.engineVersion,
    expectedHash: row.expectedHash,
    actualHash: row.actualHash,
    identical: row.identical,
    createdAt: row.createdAt,
  };
}
