import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'bullmq';
import type { Config } from '../src/platform/config';
import type { Logger } from '../src/platform/logger';
import { QueueName, type RunJob, runJobOptions } from '../src/modules/run/run.queue';

/** The built, sandboxed processor: worker threads cannot load TypeScript, so the build provides it. */
export function processorFile(): string {
  // __dirname is dist/workers when built, workers/ when run from source through tsx.
  const candidates = [path.join(__dirname, 'run.processor.js'), path.join(__dirname, '..', 'dist', 'workers', 'run.processor.js')];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`the sandboxed run processor is not built (looked for ${candidates.join(', ')}); run npm run build`);
  return found;
}

/**
 * A BullMQ worker for runs with a sandboxed (worker-thread) processor. Crashes and infrastructure
 * errors retry with backoff (runJobOptions); UnrecoverableError (invalid spec, engine invariant)
 * fails at once.
 */
export function createRunWorker(
  config: Config,
  logger: Logger,
  /** Called once a job will not be tried again, so its run does not stay RUNNING forever. */
  onGaveUp: (runId: string, reason: string) => Promise<void>,
): Worker<RunJob['data'], unknown, RunJob['name']> {
  const worker = new Worker<RunJob['data'], unknown, RunJob['name']>(QueueName.runs, processorFile(), {
    connection: { url: config.redisUrl, maxRetriesPerRequest: null },
    prefix: config.bullmqPrefix,
    concurrency: config.workerConcurrency,
    useWorkerThreads: true,
    // A crashed sandbox (SIGKILL, OOM) leaves the job active; the stalled check hands it back.
    maxStalledCount: runJobOptions.attempts,
    stalledInterval: 15_000,
  });
  worker.on('completed', (job, result) => logger.info({ runId: job.data.runId, jobId: job.id, result }, 'run job completed'));
  worker.on('failed', (job, error) => {
    logger.warn({ runId: job?.data.runId, jobId: job?.id, attempt: job?.attemptsMade, err: error }, 'run job failed');
    if (!job) return;
    const gaveUp = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (gaveUp) onGaveUp(job.data.runId, error.message).catch((cause: unknown) => logger.error({ err: cause, runId: job.data.runId }, 'could not mark run failed'));
  });
  worker.on('error', (error) => logger.error({ err: error }, 'run worker error'));
  return worker;
}
