import { type CliCommand, ExitCode, UsageError } from '../command';
import { systemClock } from '../../platform/clock';
import { loadConfig } from '../../platform/config';
import { createDatabase } from '../../platform/db';
import { createLogger } from '../../platform/logger';
import { checkPostgres, checkRedis } from '../../platform/service-check';
import { RunRepository } from '../../modules/run/run.repository';
import { createRunWorker } from '../../../workers/run.worker';
import { createServices } from '../../api/services';
import { createRegressionQueues, startRegressionWorkers } from '../../modules/regression/regression.queue';
import { createBullmqRunQueue } from '../../modules/run/run.queue';
import { engineSpecValidator } from '../../modules/scenario/engine-spec-validator';

const usage = `usage: dmasim worker

Runs queued runs: a BullMQ worker (WORKER_CONCURRENCY jobs at once) whose processor executes the
engine in a worker thread (the built dist/workers/run.processor.js; run npm run build first).
SIGTERM/SIGINT let the current jobs finish before exiting.`;

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
  const db = createDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema });
  const runs = new RunRepository(db);
  const regression = await startRegressionRuntime(config, logger, db);
  const worker = createRunWorker(config, logger, async (runId, reason) => {
    await runs.finishWithoutResult(runId, 'FAILED', { code: reason.split(':')[0]?.trim() || 'WORKER_FAILED', message: reason }, 0, systemClock.now());
    await regression.runFinished(runId);
  });
  // A finished run may complete a regression suite batch (issue 8); the batch check runs on its own queue.
  worker.on('completed', (job) => void regression.runFinished(job.data.runId));
  await worker.waitUntilReady();
  return async () => {
    await worker.close();
    await regression.stop();
    await db.$disconnect();
  };
}

/**
 * Regression side of a worker process: reconciles the schedule job schedulers from PostgreSQL, then
 * runs the schedule, webhook and batch-completion workers. `runFinished` never throws: a lost
 * check is caught by the sweep.
 */
async function startRegressionRuntime(config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createLogger>, db: ReturnType<typeof createDatabase>) {
  const regressionQueues = createRegressionQueues({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const runQueue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const services = createServices({ db, clock: systemClock, logger, runQueue, specs: engineSpecValidator, regressionQueues });
  const stopWorkers = await startRegressionWorkers({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix, logger, handlers: services.regression });
  return {
    runFinished: (runId: string) => regressionQueues.jobs.enqueueRunFinished(runId).catch((error: unknown) => logger.warn({ err: error, runId }, 'could not enqueue the batch check; the sweep will catch it')),
    async stop() {
      await stopWorkers();
      await Promise.allSettled([regressionQueues.close(), runQueue.close()]);
    },
  };
}
