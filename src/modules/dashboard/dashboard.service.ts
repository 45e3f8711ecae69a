import { AppError } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { ScenarioRepository } from '../scenario/scenario.repository';
import type { Scenario } from '../scenario/scenario.types';
import type { OverlayRef } from '../run/run.types';
import type { Viewer } from '../team/team.types';
import type { DashboardRepository, DashboardRange } from './dashboard.repository';

const dayMs = 24 * 3600 * 1000;
const maxRangeDays = 366;

/**
 * How long a cached team's riskiest scenarios and headroom may be served without a new result or
 * triage decision: bounds what only time changes (a waiver expiring, the default 30-day window
 * sliding).
 */
export const dashboardCacheTtlMs = 30_000;
/** Teams kept in one process's dashboard cache before it starts over. */
const dashboardCacheTeams = 1000;

export interface ScenarioRisk {
  readonly scenario: Scenario;
  readonly profile: string;
  readonly overlays: readonly OverlayRef[];
  readonly runId: string;
  readonly finishedAt: Date;
  readonly openCriticalViolations: number;
}

export interface ScenarioHeadroom {
  readonly scenario: Scenario;
  readonly points: ReadonlyArray<{ runId: string; at: Date; hiwaterFraction: number }>;
}

interface CachedParts {
  readonly version: bigint;
  readonly rangeKey: string;
  readonly expiresAtMs: number;
  readonly riskiestScenarios: readonly ScenarioRisk[];
  readonly headroom: readonly ScenarioHeadroom[];
}

/**
 * Team dashboard aggregates. Runs by status and violations by class come from small per-day
 * rollups on every call; riskiest scenarios and headroom come from their rollups through a per-team
 * cache in this process, keyed by the team's dashboard version (bumped in the result transaction
 * and by triage decisions, so a new result shows at once in every API process) and the range.
 */
export class DashboardService {
  private readonly cache = new Map<string, CachedParts>();

  constructor(
    private readonly aggregates: DashboardRepository,
    private readonly scenarios: ScenarioRepository,
    private readonly clock: Clock,
  ) {}

  async dashboard(viewer: Viewer, range: { from?: Date | null; to?: Date | null } | null | undefined) {
    const resolved = this.resolveRange(range);
    // The default window moves with the clock: within the cache's lifetime it is the same window.
    const rangeKey =
      range?.from || range?.to ? `${resolved.from.toISOString()}/${resolved.to.toISOString()}` : 'default';
    const [runsByStatus, violationsByClass, version] = await Promise.all([
      this.aggregates.runsByStatus(viewer.teamId, resolved),
      this.aggregates.violationsByClass(viewer.teamId, resolved),
      this.aggregates.version(viewer.teamId),
    ]);
    const nowMs = this.clock.now().getTime();
    let parts = this.cache.get(viewer.teamId);
    if (!parts || parts.version !== version || parts.rangeKey !== rangeKey || parts.expiresAtMs <= nowMs) {
      parts = {
        version,
        rangeKey,
        expiresAtMs: nowMs + dashboardCacheTtlMs,
        ...(await this.rollups(viewer, resolved)),
      };
      if (this.cache.size >= dashboardCacheTeams) this.cache.clear();
      this.cache.set(viewer.teamId, parts);
    }
    return { runsByStatus, violationsByClass, riskiestScenarios: parts.riskiestScenarios, headroom: parts.headroom };
  }

  private async rollups(
    viewer: Viewer,
    range: DashboardRange,
  ): Promise<{ riskiestScenarios: ScenarioRisk[]; headroom: ScenarioHeadroom[] }> {
    const [risky, headroom] = await Promise.all([
      this.aggregates.riskiestScenarios(viewer.teamId, 20),
      this.aggregates.headroom(viewer.teamId, range, 20, 100),
    ]);
    const scenarioIds = [...new Set([...risky.map((r) => r.scenario_id), ...headroom.map((h) => h.scenarioId)])];
    const scenarios = new Map<string, Scenario>(
      (await this.scenarios.findByIds(viewer.teamId, scenarioIds)).map((s) => [s.id, s]),
    );
    return {
      riskiestScenarios: risky.flatMap((r) => {
        const scenario = scenarios.get(r.scenario_id);
        return scenario
          ? [
              {
                scenario,
                profile: r.profile,
                overlays: r.overlays as OverlayRef[],
                runId: r.run_id,
                finishedAt: r.finished_at,
                openCriticalViolations: r.open_critical,
              },
            ]
          : [];
      }),
      headroom: headroom.flatMap(({ scenarioId, points }) => {
        const scenario = scenarios.get(scenarioId);
        return scenario ? [{ scenario, points }] : [];
      }),
    };
  }

  private resolveRange(range: { from?: Date | null; to?: Date | null } | null | undefined): DashboardRange {
    const to = range?.to ?? this.clock.now();
    const from = range?.from ?? new Date(to.getTime() - 30 * dayMs);
    if (from.getTime() >= to.getTime()) throw new AppError('BAD_USER_INPUT', 'range.from must be before range.to');
    if (to.getTime() - from.getTime() > maxRangeDays * dayMs)
      throw new AppError('BAD_USER_INPUT', `range may span at most ${maxRangeDays} days`);
    return { from, to };
  }
}
