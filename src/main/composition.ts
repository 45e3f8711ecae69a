/**
 * The composition root: the one place that builds repositories, services and queues, per process
 * kind. The API process gets every service; a worker process gets only what running jobs needs
 * (one database client, one run-queue connection); a processor thread gets only the executor.
 * Nothing else constructs a service or repository.
 */
import type { Services } from '../api/services';
import type { Clock } from '../platform/clock';
import { type Config } from '../platform/config';
import { createDatabase, type Database } from '../platform/db';
import type { Logger } from '../platform/logger';
import { DashboardRepository } from '../modules/dashboard/dashboard.repository';
import { DashboardService } from '../modules/dashboard/dashboard.service';
import { ExportService } from '../modules/regression/export.service';
import { createRegressionQueues, type RegressionQueues } from '../modules/regression/regression.queue';
import { RegressionRepository } from '../modules/regression/regression.repository';
import { RegressionService } from '../modules/regression/regression.service';
import { ReplayRepository } from '../modules/regression/replay.repository';
import { ReplayService } from '../modules/regression/replay.service';
import { ResultRepository } from '../modules/result/result.repository';
import { ResultService } from '../modules/result/result.service';
import { type BatchCompletedListener, RunBatchCompleter } from '../modules/run/run.batch';
import { RunExecutor } from '../modules/run/run.executor';
import {
  createBullmqRunQueue,
  type BullmqRunQueue,
  type RunEventSource,
  type RunQueue,
} from '../modules/run/run.queue';
import { RunReconciler } from '../modules/run/run.reconciler';
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

/** What every process kind shares: its clients and the cross-cutting pieces. */
export interface CoreDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly specs: SpecValidator;
  readonly runQueue: RunQueue;
  readonly regressionQueues: RegressionQueues;
  /** Called after a batch completes, besides the regression check (tests observe completions here). */
  readonly onBatchCompleted?: BatchCompletedListener;
}

/** The run and regression services both process kinds need; a completed batch is compared at once. */
function buildRunPath(deps: CoreDependencies) {
  const { db, clock, logger, specs } = deps;
  const scenarioRepository = new ScenarioRepository(db);
  const scenarios = new ScenarioService(scenarioRepository, specs, clock);
  const runRepository = new RunRepository(db);
  // The regression service needs the run service, and the completer (inside the run service) calls
  // the regression service: the closure reads `regression` only after this function has returned.
  const batches = new RunBatchCompleter(runRepository, clock, logger, async (batch) => {
    await deps.onBatchCompleted?.(batch);
    try {
      await regression.handleBatchCompleted(batch.id);
    } catch (error: unknown) {
      logger.warn({ err: error, batchId: batch.id }, 'suite batch comparison failed; the sweep will retry it');
    }
  });
  const runs = new RunService(runRepository, scenarios, specs, deps.runQueue, clock, logger, batches);
  const regression = new RegressionService(
    new RegressionRepository(db),
    runs,
    scenarios,
    deps.regressionQueues.scheduler,
    deps.regressionQueues.jobs,
    clock,
    logger,
  );
  return { scenarioRepository, scenarios, runRepository, batches, runs, regression };
}

/** Every service the API's transports use. */
export function buildApiServices(deps: CoreDependencies & { runEvents?: RunEventSource }): Services {
  const { db, clock } = deps;
  const { scenarioRepository, scenarios, runs, regression } = buildRunPath(deps);
  const results = new ResultService(new ResultRepository(db), runs);
  return {
    teams: new TeamService(new TeamRepository(db), clock),
    scenarios,
    runs,
    runUpdates: new RunUpdates(runs, deps.runEvents ?? noRunEvents),
    results,
    triage: new TriageService(new TriageRepository(db), clock),
    dashboard: new DashboardService(new DashboardRepository(db), scenarioRepository, clock),
    regression,
    replays: new ReplayService(new ReplayRepository(db), runs, scenarios, deps.specs, deps.logger),
    exports: new ExportService(regression, runs, results, scenarios),
  };
}

/** A worker process's parts: batch completion, the reconciler and the regression job handlers. */
export interface WorkerParts {
  readonly db: Database;
  readonly runQueue: BullmqRunQueue;
  readonly regressionQueues: RegressionQueues;
  readonly runRepository: RunRepository;
  readonly batches: RunBatchCompleter;
  readonly reconciler: RunReconciler;
  readonly regression: RegressionService;
  close(): Promise<void>;
}

/** Builds what a worker process needs and nothing more: one database client, one run-queue connection. */
export function buildWorkerParts(
  config: Config,
  deps: { clock: Clock; logger: Logger; specs: SpecValidator; onBatchCompleted?: BatchCompletedListener },
): WorkerParts {
  const db = createDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    poolSize: config.databasePoolSizeWorker,
  });
  const runQueue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const regressionQueues = createRegressionQueues({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const { runRepository, batches, regression } = buildRunPath({ db, runQueue, regressionQueues, ...deps });
  const reconciler = new RunReconciler(runRepository, runQueue, batches, deps.clock, deps.logger, {
    maxAttempts: config.reconcileMaxAttempts,
  });
  return {
    db,
    runQueue,
    regressionQueues,
    runRepository,
    batches,
    reconciler,
    regression,
    async close() {
      await Promise.allSettled([regressionQueues.close(), runQueue.close(), db.$disconnect()]);
    },
  };
}

/** The executor of a sandboxed processor thread, with the thread's own database client. */
export function buildRunExecutor(db: Database, deps: { clock: Clock; specs: SpecValidator }): RunExecutor {
  return new RunExecutor(
    new RunRepository(db),
    new ScenarioRepository(db),
    deps.specs,
    new ResultRepository(db),
    deps.clock,
  );
}
