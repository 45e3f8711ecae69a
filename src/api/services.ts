import type { Clock } from '../platform/clock';
import type { Database } from '../platform/db';
import type { Logger } from '../platform/logger';
import { DashboardRepository } from '../modules/dashboard/dashboard.repository';
import { DashboardService } from '../modules/dashboard/dashboard.service';
import { ResultRepository } from '../modules/result/result.repository';
import { ResultService } from '../modules/result/result.service';
import { RunBatchCompleter } from '../modules/run/run.batch';
import type { RunEventSource, RunQueue } from '../modules/run/run.queue';
import { RunRepository } from '../modules/run/run.repository';
import { RunService } from '../modules/run/run.service';
import { noRunEvents, RunUpdates } from '../modules/run/run.updates';
import { ScenarioRepository } from '../modules/scenario/scenario.repository';
import { ScenarioService } from '../modules/scenario/scenario.service';
import type { SpecValidator } from '../modules/scenario/scenario.types';
import { TeamRepository } from '../modules/team/team.repository';
import { TeamService } from '../modules/team/team.service';
import { TriageRepository } from '../modules/triage/triage.repository';
import { TriageService } from '../modules/triage/triage.service';
import type { RegressionQueues } from '../modules/regression/regression.queue';
import { RegressionRepository } from '../modules/regression/regression.repository';
import { RegressionService } from '../modules/regression/regression.service';
import { ExportService } from '../modules/regression/export.service';

/** The feature services the API uses, wired once per process (composition root). */
export interface Services {
  readonly teams: TeamService;
  readonly scenarios: ScenarioService;
  readonly runs: RunService;
  /** Live run and batch state for subscriptions. */
  readonly runUpdates: RunUpdates;
  readonly results: ResultService;
  readonly triage: TriageService;
  readonly dashboard: DashboardService;
  readonly regression: RegressionService;
  readonly exports: ExportService;
}

export interface ServiceDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly runQueue: RunQueue;
  readonly specs: SpecValidator;
  /** BullMQ job events feeding subscriptions; without it subscriptions fall back to polling. */
  readonly runEvents?: RunEventSource;
  readonly regressionQueues: RegressionQueues;
}

export function createServices({ db, clock, logger, runQueue, specs, runEvents, regressionQueues }: ServiceDependencies): Services {
  const scenarioRepository = new ScenarioRepository(db);
  const scenarios = new ScenarioService(scenarioRepository, specs, clock);
  const runRepository = new RunRepository(db);
  const runs = new RunService(runRepository, scenarios, specs, runQueue, clock, logger, new RunBatchCompleter(runRepository, clock, logger));
  const results = new ResultService(new ResultRepository(db), runs);
  const regression = new RegressionService(new RegressionRepository(db), runs, scenarios, regressionQueues.scheduler, regressionQueues.jobs, clock, logger);
  return {
    teams: new TeamService(new TeamRepository(db), clock),
    scenarios,
    runs,
    runUpdates: new RunUpdates(runs, runEvents ?? noRunEvents),
    results,
    triage: new TriageService(new TriageRepository(db), clock),
    dashboard: new DashboardService(new DashboardRepository(db), scenarioRepository, clock),
    regression,
    exports: new ExportService(regression, runs, results, scenarios),
  };
}
