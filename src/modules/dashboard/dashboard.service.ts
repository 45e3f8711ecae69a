import { AppError } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { ScenarioRepository } from '../scenario/scenario.repository';
import type { Scenario } from '../scenario/scenario.types';
import type { Viewer } from '../team/team.types';
import type { DashboardRepository, DashboardRange } from './dashboard.repository';

const dayMs = 24 * 3600 * 1000;
const maxRangeDays = 366;

/** Team dashboard aggregates. */
export class DashboardService {
  constructor(
    private readonly aggregates: DashboardRepository,
    private readonly scenarios: ScenarioRepository,
    private readonly clock: Clock,
  ) {}

  async dashboard(viewer: Viewer, range: { from?: Date | null; to?: Date | null } | null | undefined) {
    const resolved = this.resolveRange(range);
    const [runsByStatus, violationsByClass, risky, headroomRows] = await Promise.all([
      this.aggregates.runsByStatus(viewer.teamId, resolved),
      this.aggregates.violationsByClass(viewer.teamId, resolved),
      this.aggregates.riskiestScenarios(viewer.teamId, 20),
      this.aggregates.headroom(viewer.teamId, resolved, 20, 100),
    ]);
    const scenarioIds = [...new Set([...risky.map((r) => r.scenario_id), ...headroomRows.map((r) => r.scenario_id)])];
    const scenarios = new Map<string, Scenario>(
      (await this.scenarios.findByIds(viewer.teamId, scenarioIds)).map((s) => [s.id, s]),
    );
    const headroom = new Map<string, Array<{ runId: string; at: Date; hiwaterFraction: number }>>();
    for (const row of headroomRows) {
      const points = headroom.get(row.scenario_id) ?? [];
      points.push({ runId: row.run_id, at: row.at, hiwaterFraction: row.fraction });
      headroom.set(row.scenario_id, points);
    }
    return {
      runsByStatus,
      violationsByClass,
      riskiestScenarios: risky.flatMap((r) => {
        const scenario = scenarios.get(r.scenario_id);
        return scenario ? [{ scenario, openCriticalViolations: r.open_critical }] : [];
      }),
      headroom: [...headroom].flatMap(([scenarioId, points]) => {
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
