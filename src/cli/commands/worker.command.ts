import { type CliCommand, ExitCode, UsageError } from '../command';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { checkPostgres, checkRedis } from '../../platform/service-check';
import { systemClock } from '../../platform/clock';
import { createDatabase } from '../../platform/db';
import { startRunWorker as startWorkerProcess } from '../../../workers/run.worker';
import { createServices } from '../../api/services';
import { createRegressionQueues, startRegressionWorkers } from '../../modules/regression/regression.queue';
import { onBatchCompleted } from '../../modules/run/run.batch';
import { createBullmqRunQueue } from '../../modules/run/run.queue';
import { engineSpecValidator } from '../../modules/scenario/engine-spec-validator';

const usage = `usage: dmasim worker

Runs queued runs: a BullMQ worker (WORKER_CONCURRENCY jobs at once) whose processor executes the
engine in a worker thread (the built dist/workers/run.processor.js; run npm run build first).
At start and every RECONCILE_INTERVAL_MS it re-enqueues QUEUED runs without a job and recovers
RUNNING runs whose job is gone. SIGTERM/SIGINT let the current runs finish within
WORKER_SHUTDOWN_GRACE_MS, then hand the rest back to the queue.`;

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'execute queued runs (BullMQ worker with a sandboxed engine)',
  usage,
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, name: 'dmasim-worker' });
    await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl)]);
    const stop = await startRunWorker(config, logger);
    io.stdout.write(`dmasim worker running (concurrency ${config.workerConcurrency}, prefix ${config.bullmqPrefix})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await stop();
    return ExitCode.ok;
  },
};

/** Starts a run worker and returns its graceful stop (used by `dmasim worker` and `dmasim serve`). */
export async function startRunWorker(config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>): Promise<() => Promise<void>> {
  const regression = await startRegressionRuntime(config, logger);
  const handle = await startWorkerProcess(config, logger);
  return async () => {
    await handle.stop();
    await regression.stop();
  };
}

/**
 * Regression side of a worker process: reconciles the schedule job schedulers from PostgreSQL, runs
 * the schedule, webhook and batch-completion workers, and compares a suite batch as soon as this
 * process completes its run batch (run.batch.ts onBatchCompleted). A comparison lost to a crash
 * is caught by the periodic sweep of open suite batches.
 */
async function startRegressionRuntime(config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>) {
  const db = createDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema });
  const regressionQueues = createRegressionQueues({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const runQueue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const services = createServices({ db, clock: systemClock, logger, runQueue, specs: engineSpecValidator, regressionQueues });
  const stopWorkers = await startRegressionWorkers({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix, logger, handlers: services.regression });
  const unsubscribe = onBatchCompleted(async (batch) => {
    try {
      await services.regression.handleBatchCompleted(batch.id);
    } catch (error) {
      logger.warn({ err: error, batchId: batch.id }, 'suite batch comparison failed; the sweep will retry it');
    }
  });
  return {
    async stop() {
      unsubscribe();
      await stopWorkers();
      await Promise.allSettled([regressionQueues.close(), runQueue.close(), db.$disconnect()]);
    },
  };
}
