import { ENGINE_VERSION } from '../../engine/index';
import type { Logger } from '../../platform/logger';
import type { RunResultWriter } from '../run/run.executor';
import type { RunService } from '../run/run.service';
import { finalRunStatuses } from '../run/run.types';
import { type Outcome, rejected, requireRole } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import type { RunReplay } from './regression.types';
import type { ReplayRepository } from './replay.repository';

/**
 * Replay checks: engine determinism, run by run. A replay is an ordinary run on the run queue (the
 * API process never executes the engine); its hash is recorded when a worker stores that run's
 * results (`recordingReplays`), or, should that write have been lost, the next time it is read.
 */
export class ReplayService {
  constructor(
    private readonly repo: ReplayRepository,
    private readonly runs: RunService,
    private readonly logger: Logger,
  ) {}

  /**
   * Queues a replay of a succeeded run: a new run of the same scenario version with its profile,
   * overlays, seed and time limit, and a PENDING replay record linked to it.
   */
  async replayRun(viewer: Viewer, runId: string): Promise<Outcome<RunReplay>> {
    requireRole(viewer, 'member');
    const run = await this.runs.getOrThrow(viewer, runId);
    if (run.status !== 'SUCCEEDED' || !run.resultHash)
      return rejected(
        ['runId'],
        `run ${runId} is ${run.status}; only succeeded runs can be replayed`,
        'RUN_NOT_SUCCEEDED',
      );
    if (run.engineVersion !== ENGINE_VERSION)
      return rejected(
        ['runId'],
        `run ${runId} ran engine ${run.engineVersion}; this server has ${ENGINE_VERSION}`,
        'ENGINE_VERSION_MISMATCH',
      );
    const submitted = await this.runs.submit(viewer, {
      versionId: run.scenarioVersionId,
      overrides: { profile: run.profile, overlays: run.overlays, seed: run.seed },
      trigger: 'MANUAL',
      timeLimitMs: run.timeLimitMs,
    });
    if ('userErrors' in submitted)
      return {
        userErrors: submitted.userErrors.map((error) => ({
          path: ['runId'],
          message: `the run cannot be replayed: ${error.message}`,
          code: error.code === 'INVALID_OVERRIDE' ? 'SPEC_INVALID' : error.code,
        })),
      };
    return this.repo.insertPendingReplay({
      teamId: viewer.teamId,
      runId,
      replayRunId: submitted.run.id,
      engineVersion: ENGINE_VERSION,
      expectedHash: run.resultHash,
    });
  }

  /** Replays, newest first; a PENDING one whose run has ended is settled here. */
  async replays(viewer: Viewer, onlyDefects: boolean, first?: number | null): Promise<RunReplay[]> {
    const listed = await this.repo.listReplays(viewer.teamId, onlyDefects, Math.min(Math.max(first ?? 20, 1), 100));
    return Promise.all(listed.map((replay) => this.settle(viewer, replay)));
  }

  private async settle(viewer: Viewer, replay: RunReplay): Promise<RunReplay> {
    if (replay.status !== 'PENDING') return replay;
    if (replay.replayRunId === null) return { ...replay, status: 'NOT_COMPLETED' }; // its run was deleted
    const run = await this.runs.getOrThrow(viewer, replay.replayRunId);
    if (!finalRunStatuses.has(run.status)) return replay;
    if (run.status !== 'SUCCEEDED' || !run.resultHash) return { ...replay, status: 'NOT_COMPLETED' };
    const recorded = await this.repo.recordReplayResult(run.id, run.resultHash);
    if (recorded) logOutcome(this.logger, recorded);
    const identical = replay.expectedHash === run.resultHash;
    return { ...replay, actualHash: run.resultHash, identical, status: identical ? 'IDENTICAL' : 'DIFFERENT' };
  }
}

function logOutcome(logger: Logger | undefined, replay: RunReplay): void {
  if (replay.identical === false)
    logger?.error(
      {
        runId: replay.runId,
        replayRunId: replay.replayRunId,
        expected: replay.expectedHash,
        actual: replay.actualHash,
      },
      'engine determinism defect: replay hash differs',
    );
}

/**
 * The run result writer of a worker, extended with replays: once a run's results are stored, a
 * replay waiting for that run records its hash (a no-op for every other run).
 */
export function recordingReplays(writer: RunResultWriter, replays: ReplayRepository, logger?: Logger): RunResultWriter {
  return {
    async saveRunResult(record) {
      const wrote = await writer.saveRunResult(record);
      // The result statement said whether a replay waits for this run: most runs are no replay, and
      // for them this is no round trip.
      if (wrote?.replayPending) {
        const recorded = await replays.recordReplayResult(record.runId, record.resultHash);
        if (recorded) logOutcome(logger, recorded);
      }
      return wrote;
    },
  };
}
