import { startRegressionWorkers } from '../../workers/regression.worker';
import { startRunWorker } from '../../workers/run.worker';
import { systemClock } from '../platform/clock';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { BatchCompletedListener } from '../modules/run/run.batch';
import { engineSpecValidator } from '../modules/scenario/engine-spec-validator';
import { buildWorkerParts } from './composition';

/** A started worker process: the run worker, its reconciler and the regression workers. */
export interface WorkerProcess {
  /** Graceful stop: current runs finish within WORKER_SHUTDOWN_GRACE_MS or are handed back; then every client closes. */
  stop(): Promise<void>;
  /** Resolves after the reconciler's first pass (at start). */
  readonly reconciled: Promise<void>;
  /** Takes no new runs; resolves once the runs in progress have finished (RunWorkerHandle.pause). */
  pause(): Promise<void>;
  /** Takes runs again after pause(). */
  resume(): void;
}

/**
 * Starts everything `dmasim worker` runs (and `dmasim serve` unless START_WORKER=false): the run
 * worker with its sandboxed processor and reconciler, and the regression workers (schedules,
 * webhook deliveries, the sweep). A suite batch is compared as soon as this process completes its
 * run batch; a comparison lost to a crash is caught by the sweep. `onBatchCompleted` lets a caller
 * (tests) observe completions too.
 */
export async function startWorkerProcess(
  config: Config,
  logger: Logger,
  options: { onBatchCompleted?: BatchCompletedListener } = {},
): Promise<WorkerProcess> {
  const parts = buildWorkerParts(config, { clock: systemClock, logger, specs: engineSpecValidator, ...options });
  const regressionWorkers = await startRegressionWorkers({
    redisUrl: config.redisUrl,
    prefix: config.bullmqPrefix,
    logger,
    handlers: parts.regression,
  });
  const runWorker = await startRunWorker(config, logger, {
    runs: parts.runRepository,
    queue: parts.runQueue,
    batches: parts.batches,
    reconciler: parts.reconciler,
    clock: systemClock,
    // Each reconciler pass also folds the dashboard rollups' shards and brings back the
    // schedules and the sweep if Redis lost them.
    alsoEachPass: async () => {
      await parts.dashboardMaintenance.foldShards();
      await regressionWorkers.registerSchedulersIfLost();
    },
  });
  return {
    reconciled: runWorker.reconciled,
    pause: () => runWorker.pause(),
    resume: () => runWorker.resume(),
    stop: async () => {
      await runWorker.stop();
      await regressionWorkers.stop();
      await parts.close();
    },
  };
}
