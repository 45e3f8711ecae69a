import { ENGINE_VERSION } from '../../engine/index';
import type { Logger } from '../../platform/logger';
import type { RunService } from '../run/run.service';
import { runEngineInSlices, specOfRun } from '../run/run-spec';
import type { ScenarioService } from '../scenario/scenario.service';
import type { SpecValidator } from '../scenario/scenario.types';
import { type Outcome, rejected, requireRole } from '../shared/user-errors';
import type { Viewer } from '../team/team.types';
import type { RunReplay } from './regression.types';
import type { ReplayRepository } from './replay.repository';

/** Replay checks: engine determinism, run by run. Reads runs and scenario versions through their services. */
export class ReplayService {
  constructor(
    private readonly repo: ReplayRepository,
    private readonly runs: RunService,
    private readonly scenarios: ScenarioService,
    private readonly specs: SpecValidator,
    private readonly logger: Logger,
  ) {}

  /**
   * Re-runs a succeeded run in-process with its stored spec version, overrides, seed and engine
   * version, and records whether the result hash is identical; a mismatch is an engine determinism
   * defect. Slices yield to the event loop between steps.
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
    const version = await this.scenarios.version(viewer, run.scenarioVersionId);
    const checked = specOfRun(this.specs, version.spec, run);
    if (!checked.ok)
      return rejected(
        ['runId'],
        `the stored spec no longer validates: ${checked.errors[0]?.message ?? ''}`,
        'SPEC_INVALID',
      );
    const sliced = await runEngineInSlices(checked.spec, 20_000, () => Promise.resolve(false));
    if (sliced.kind !== 'finished') throw new Error(`replay of run ${runId} stopped before the end`); // nothing above asks it to stop
    const actualHash = sliced.report.resultHash;
    const replay = await this.repo.insertReplay({
      teamId: viewer.teamId,
      runId,
      engineVersion: ENGINE_VERSION,
      expectedHash: run.resultHash,
      actualHash,
    });
    if (!replay.identical)
      this.logger.error(
        { runId, expected: run.resultHash, actual: actualHash },
        'engine determinism defect: replay hash differs',
      );
    return replay;
  }

  replays(viewer: Viewer, onlyDefects: boolean, first?: number | null): Promise<RunReplay[]> {
    return this.repo.listReplays(viewer.teamId, onlyDefects, Math.min(Math.max(first ?? 20, 1), 100));
  }
}
