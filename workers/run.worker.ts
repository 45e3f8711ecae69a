import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Job, Worker } from 'bullmq';
import type { Config } from '../src/platform/config';
import { systemClock } from '../src/platform/clock';
import { createDatabase } from '../src/platform/db';
import type { Logger } from '../src/platform/logger';
import { pipelineMetrics } from '../src/platform/metrics';
import { RunBatchCompleter } from '../src/modules/run/run.batch';
import { createBullmqRunQueue, QueueName, type RunJob, runJobOptions } from '../src/modules/run/run.queue';
import { RunReconciler } from '../src/modules/run/run.reconciler';
import { RunRepository } from '../src/modules/run/run.repository';
import { finalRunStatuses } from '../src/modules/run/run.types';
import type { RunJobResult, RunProcessorWorkerData } from './run.processor';

/** The built, sandboxed processor: worker threads cannot load TypeScript, so the build provides it. */
export function processorFile(): string {
  // __dirname is dist/workers when built, workers/ when run from source through tsx.
  const candidates = [path.join(__dirname, 'run.processor.js'), path.join(__dirname, '..', 'dist', 'workers', 'run.processor.js')];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`the sandboxed run processor is not built (looked for ${candidates.join(', ')}); run npm run build`);
  return found;
}

type RunWorker = Worker<RunJob['data'], RunJobResult, RunJob['name']>;

/**
 * A BullMQ worker for runs with a sandboxed (worker-thread) processor. Crashes and infrastructure
 * errors retry with backoff (runJobOptions); UnrecoverableError (invalid spec, engine invariant)
 * fails at once. The thread gets this process's config in workerData.
 */
export function createRunWorker(
  config: Config,
  logger: Logger,
  /** Called once a job will not be tried again, so its run does not stay RUNNING forever. */
  onGaveUp: (runId: string, reason: string) => Promise<void>,
): RunWorker {
  const workerData: RunProcessorWorkerData = { config };
  const worker: RunWorker = new Worker<RunJob['data'], RunJobResult, RunJob['name']>(QueueName.runs, processorFile(), {
    connection: { url: config.redisUrl, maxRetriesPerRequest: null },
    prefix: config.bullmqPrefix,
    concurrency: config.workerConcurrency,
    useWorkerThreads: true,
    workerThreadsOptions: { workerData },
    // A crashed sandbox or process (SIGKILL, OOM) leaves the job active with a lock that expires
    // after lockDuration; the stalled check (any worker) then hands it back.
    lockDuration: config.workerLockDurationMs,
    stalledInterval: Math.max(500, Math.floor(config.workerLockDurationMs / 2)),
    maxStalledCount: runJobOptions.attempts,
  });
  worker.on('failed', (job, error) => {
    logger.warn({ runId: job?.data.runId, jobId: job?.id, attempt: job?.attemptsMade, err: error }, 'run job failed');
    if (!job) return;
    const gaveUp = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (gaveUp) onGaveUp(job.data.runId, error.message).catch((cause: unknown) => logger.error({ err: cause, runId: job.data.runId }, 'could not mark run failed'));
  });
  worker.on('error', (error) => logger.error({ err: error }, 'run worker error'));
  return worker;
}

/** A started worker process part: BullMQ worker, reconciler, metrics and batch completion. */
export interface RunWorkerHandle {
  /** Graceful stop: lets current runs finish within WORKER_SHUTDOWN_GRACE_MS, then hands them back. */
  stop(): Promise<void>;
  /** Resolves after the reconciler's first pass (at start). */
  readonly reconciled: Promise<void>;
}

/** Starts a run worker with its reconciler (used by `dmasim worker` and `dmasim serve`). */
export async function startRunWorker(config: Config, logger: Logger): Promise<RunWorkerHandle> {
  const db = createDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema });
  const runs = new RunRepository(db);
  const queue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const batches = new RunBatchCompleter(runs, systemClock, logger);
  const metrics = pipelineMetrics();
  const active = new Map<string, Job<RunJob['data'], RunJobResult, RunJob['name']>>();

  const afterJob = async (runId: string, result: RunJobResult | undefined): Promise<void> => {
    const run = await runs.findForJob(runId);
    if (!run || !finalRunStatuses.has(run.status)) return;
    if (run.finishedAt) {
      metrics.runsFinishedTotal.inc({ status: run.status });
      metrics.runDurationSeconds.observe({ status: run.status, phase: 'total' }, (run.finishedAt.getTime() - run.createdAt.getTime()) / 1000);
      if (run.startedAt) metrics.runDurationSeconds.observe({ status: run.status, phase: 'execution' }, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
    }
    if (result?.operations !== undefined && result.engineMs !== undefined) {
      metrics.engineOperationsTotal.inc(result.operations);
      if (result.engineMs > 0) metrics.engineOpsPerSecond.observe(result.operations / (result.engineMs / 1000));
    }
    if (run.batchId) await batches.completeBatchIfDone(run.batchId);
  };

  const worker = createRunWorker(config, logger, async (runId, reason) => {
    await runs.finishWithoutResult(runId, 'FAILED', { code: reason.split(':')[0]?.trim() || 'WORKER_FAILED', message: reason }, 0, systemClock.now());
    await afterJob(runId, undefined);
  });
  worker.on('active', (job) => {
    active.set(job.data.runId, job);
    logger.info({ runId: job.data.runId, jobId: job.id, attempt: job.attemptsStarted }, 'run job started');
  });
  worker.on('completed', (job, result) => {
    active.delete(job.data.runId);
    logger.info({ runId: job.data.runId, jobId: job.id, ...result }, 'run job completed');
    afterJob(job.data.runId, result).catch((error: unknown) => logger.error({ err: error, runId: job.data.runId, jobId: job.id }, 'after-job bookkeeping failed'));
  });
  worker.on('failed', (job) => {
    if (job) active.delete(job.data.runId);
  });
  await worker.waitUntilReady();

  const reconciler = new RunReconciler(runs, queue, batches, systemClock, logger, { maxAttempts: config.reconcileMaxAttempts });
  const reconciling = reconciler.start(config.reconcileIntervalMs);

  return {
    reconciled: reconciling.firstPass,
    async stop() {
      await reconciling.stop();
      // Take no new jobs, then give the current ones the grace period to finish.
      await worker.pause(true);
      const deadline = Date.now() + config.workerShutdownGraceMs;
      while (active.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const unfinished = [...active.values()];
      if (unfinished.length === 0) {
        await worker.close();
      } else {
        // Past the grace period: stop the sandboxes, then hand each run back (run QUEUED, job waiting).
        await worker.close(true);
        for (const job of unfinished) {
          const runId = job.data.runId;
          const requeued = await runs.requeue(runId);
          const handedBack = job.token ? await queue.handBack(runId, job.token) : false;
          logger.warn({ runId, jobId: job.id, requeued, handedBack }, 'shutdown grace period over; run handed back to the queue');
        }
      }
      await queue.close();
      await db.$disconnect();
    },
  };
}
