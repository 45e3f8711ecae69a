/**
 * The composition root: the one place that builds repositories, services and queues, per process
 * kind. The API process gets every service; a worker process gets only what running jobs needs
 * (one database client, one run-queue connection); a processor thread gets only the executor.
 * Nothing else constructs a service or repository.
 */
import type { RegressionJobHandlers } from '../../workers/regression.worker';
import { readBundledExamples } from '../api/demo-team';
import type { Services } from '../api/services';
import type { Clock } from '../platform/clock';
import { type Config, parseConfig } from '../platform/config';
import { createDatabase, type Database } from '../platform/db';
import type { Logger } from '../platform/logger';
import { DashboardMaintenance } from '../modules/dashboard/dashboard.maintenance';
import { DashboardRepository } from '../modules/dashboard/dashboard.repository';
import { DashboardService } from '../modules/dashboard/dashboard.service';
import { ExportService } from '../modules/regression/export.service';
import { createRegressionQueues, type RegressionQueues } from '../modules/regression/regression.queue';
import { ReplayRepository } from '../modules/regression/replay.repository';
import { recordingReplays, ReplayService } from '../modules/regression/replay.service';
import { ScheduleRepository } from '../modules/regression/schedule.repository';
import { ScheduleService } from '../modules/regression/schedule.service';
import { SuiteRepository } from '../modules/regression/suite.repository';
import { SuiteService } from '../modules/regression/suite.service';
import { WebhookRepository } from '../modules/regression/webhook.repository';
import { WebhookService } from '../modules/regression/webhook.service';
import { WebhookTargetPolicy } from '../modules/regression/webhook-policy';
import { WebhookSecretBox } from '../modules/regression/webhook-secret';
import { createWebhookTransport } from '../modules/regression/webhook-transport';
import { ResultRepository } from '../modules/result/result.repository';
import { ResultService } from '../modules/result/result.service';
import { type BatchCompletedListener, RunBatchCompleter } from '../modules/run/run.batch';
import { ReviewRepository } from '../modules/review/review.repository';
import { ReviewService } from '../modules/review/review.service';
import { RunReaderRepository } from '../modules/run/run-reader.repository';
import { RunExecutor } from '../modules/run/run.executor';
import { createBullmqRunQueue, type BullmqRunQueue, type RunQueue } from '../modules/run/run.queue';
import { RunReconciler } from '../modules/run/run.reconciler';
import { RunRepository } from '../modules/run/run.repository';
import { RunService } from '../modules/run/run.service';
import { noRunEvents, type RunEventSource, RunUpdates } from '../modules/run/run.updates';
import { ScenarioRepository } from '../modules/scenario/scenario.repository';
import { ScenarioService } from '../modules/scenario/scenario.service';
import type { SpecValidator } from '../modules/scenario/scenario.types';
import { TeamRepository } from '../modules/team/team.repository';
import { TeamService } from '../modules/team/team.service';
import { FindingHistoryRepository } from '../modules/triage/finding-history.repository';
import { TriageRepository } from '../modules/triage/triage.repository';
import { TriageService } from '../modules/triage/triage.service';
import { TraceService } from '../modules/trace/trace.service';

/** The settings of the regression feature, from the configuration. */
export type RegressionSettings = Pick<
  Config,
  'webhookAllowedHosts' | 'webhookSecretKey' | 'scheduleMinIntervalMs' | 'teamMaxQueuedRuns'
>;

export function regressionSettingsOf(config: Config): RegressionSettings {
  return {
    webhookAllowedHosts: config.webhookAllowedHosts,
    webhookSecretKey: config.webhookSecretKey,
    scheduleMinIntervalMs: config.scheduleMinIntervalMs,
    teamMaxQueuedRuns: config.teamMaxQueuedRuns,
  };
}

/** How long one webhook delivery attempt may take. */
const webhookTimeoutMs = 10_000;

/** What every process kind shares: its clients and the cross-cutting pieces. */
export interface CoreDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly specs: SpecValidator;
  readonly runQueue: RunQueue;
  readonly regressionQueues: RegressionQueues;
  /** Webhook policy and schedule limits (default: the configuration's defaults). */
  readonly regressionSettings?: RegressionSettings;
  /** Called after a batch completes, besides the regression check (tests observe completions here). */
  readonly onBatchCompleted?: BatchCompletedListener;
}

/**
 * The run and regression services both process kinds need; a completed batch is compared at once.
 * The suite service reads runs and fingerprint history through narrow readers of their owning
 * modules, and tells the webhook service about each stored comparison.
 */
function buildRunPath(deps: CoreDependencies) {
  const { db, clock, logger, specs } = deps;
  const scenarioRepository = new ScenarioRepository(db);
  const scenarios = new ScenarioService(scenarioRepository, specs, clock);
  const runRepository = new RunRepository(db);
  // The suite service needs the run service, and the completer (inside the run service) calls the
  // suite service: the closure reads `suites` only after this function has returned.
  const batches = new RunBatchCompleter(runRepository, clock, logger, async (batch) => {
    await deps.onBatchCompleted?.(batch);
    try {
      await suites.handleBatchCompleted(batch.id);
    } catch (error: unknown) {
      logger.warn({ err: error, batchId: batch.id }, 'suite batch comparison failed; the sweep will retry it');
    }
  });
  const settings = deps.regressionSettings ?? regressionSettingsOf(parseConfig({}));
  const runReader = new RunReaderRepository(db);
  const runs = new RunService(runRepository, scenarios, specs, deps.runQueue, clock, logger, batches, {
    maxQueuedRuns: settings.teamMaxQueuedRuns,
    queuedRunCount: (teamId) => runReader.queuedRunCount(teamId),
  });
  // Suite regressions and run comparisons read triage decisions and earlier fingerprints alike.
  const findingHistory = new FindingHistoryRepository(db);
  // Likewise the webhook service looks suites up, and the suite service notifies it of comparisons.
  const suites: SuiteService = new SuiteService(
    new SuiteRepository(db),
    runs,
    scenarios,
    runReader,
    findingHistory,
    { comparisonStored: (suite, comparison) => webhooks.comparisonStored(suite, comparison) },
    clock,
    { maxQueuedRuns: settings.teamMaxQueuedRuns },
  );
  const targets = new WebhookTargetPolicy(settings.webhookAllowedHosts);
  const webhooks = new WebhookService(
    new WebhookRepository(db),
    suites,
    deps.regressionQueues.jobs,
    clock,
    logger,
    targets,
    new WebhookSecretBox(settings.webhookSecretKey),
    createWebhookTransport(targets, { timeoutMs: webhookTimeoutMs }),
  );
  const schedules = new ScheduleService(
    new ScheduleRepository(db),
    suites,
    deps.regressionQueues.scheduler,
    clock,
    logger,
    { minIntervalMs: settings.scheduleMinIntervalMs },
  );
  const regressionJobs: RegressionJobHandlers = {
    fireSchedule: (scheduleId) => schedules.fireSchedule(scheduleId),
    deliverWebhook: (deliveryId, finalAttempt) => webhooks.deliverWebhook(deliveryId, finalAttempt),
    sweepOpenBatches: () => suites.sweepOpenBatches(),
    reconcileSchedules: () => schedules.reconcileSchedules(),
  };
  return {
    scenarioRepository,
    scenarios,
    runRepository,
    runReader,
    settings,
    batches,
    runs,
    findingHistory,
    suites,
    schedules,
    webhooks,
    regressionJobs,
  };
}

/** Every service the API's transports use. */
export function buildApiServices(deps: CoreDependencies & { runEvents?: RunEventSource }): Services {
  const { db, clock } = deps;
  const { scenarioRepository, scenarios, runReader, settings, runs, findingHistory, suites, schedules, webhooks } =
    buildRunPath(deps);
  const results = new ResultService(new ResultRepository(db), runs, findingHistory);
  const reviews = new ReviewService(
    new ReviewRepository(db),
    runs,
    scenarios,
    suites,
    results,
    runReader,
    deps.specs,
    readBundledExamples,
    clock,
    { maxQueuedRuns: settings.teamMaxQueuedRuns },
  );
  return {
    teams: new TeamService(new TeamRepository(db), clock),
    scenarios,
    runs,
    runUpdates: new RunUpdates(runs, deps.runEvents ?? noRunEvents),
    results,
    triage: new TriageService(new TriageRepository(db), clock),
    dashboard: new DashboardService(new DashboardRepository(db), scenarioRepository, clock),
    suites,
    schedules,
    webhooks,
    replays: new ReplayService(new ReplayRepository(db), runs, deps.logger),
    exports: new ExportService(suites, runs, results, scenarios),
    traces: new TraceService(scenarios),
    reviews,
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
  /** Folds past days of the dashboard's counters (on every reconciler pass). */
  readonly dashboardMaintenance: DashboardMaintenance;
  /** The regression job handlers (schedule firings, webhook deliveries, the sweep, scheduler reconciliation). */
  readonly regression: RegressionJobHandlers;
  close(): Promise<void>;
}

/** Builds what a worker process needs and nothing more: one database client, one run-queue connection. */
export function buildWorkerParts(
  config: Config,
  deps: { clock: Clock; logger: Logger; specs: SpecValidator; onBatchCompleted?: BatchCompletedListener },
): WorkerParts {
  const regressionSettings = regressionSettingsOf(config);
  const db = createDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    poolSize: config.databasePoolSizeWorker,
  });
  const runQueue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const regressionQueues = createRegressionQueues({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const {
    runRepository,
    batches,
    regressionJobs: regression,
  } = buildRunPath({ db, runQueue, regressionQueues, regressionSettings, ...deps });
  const reconciler = new RunReconciler(runRepository, runQueue, batches, deps.clock, deps.logger, {
    maxAttempts: config.reconcileMaxAttempts,
    heartbeatStaleMs: runHeartbeatStaleMs(config),
  });
  return {
    db,
    runQueue,
    regressionQueues,
    runRepository,
    batches,
    reconciler,
    dashboardMaintenance: new DashboardMaintenance(new DashboardRepository(db), deps.clock, deps.logger),
    regression,
    async close() {
      await Promise.allSettled([regressionQueues.close(), runQueue.close(), db.$disconnect()]);
    },
  };
}

/**
 * How old a RUNNING run's heartbeat must be before the reconciler treats its executor as dead:
 * three lock durations, at least 10 s (heartbeats come about every 250 ms while the engine runs;
 * the margin covers the result transaction and a loaded machine).
 */
export function runHeartbeatStaleMs(config: Pick<Config, 'workerLockDurationMs'>): number {
  return Math.max(10_000, 3 * config.workerLockDurationMs);
}

/**
 * The executor of an engine thread, with the thread's own database client. Storing a
 * run's results also records the replay that run carries out, if any.
 */
export function buildRunExecutor(db: Database, deps: { clock: Clock; specs: SpecValidator }): RunExecutor {
  return new RunExecutor(
    new RunRepository(db),
    new ScenarioRepository(db),
    deps.specs,
    recordingReplays(new ResultRepository(db), new ReplayRepository(db)),
    deps.clock,
  );
}
