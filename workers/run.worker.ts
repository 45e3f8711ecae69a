import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Job, Worker } from 'bullmq';
import type { Config } from '../src/platform/config';
import type { Clock } from '../src/platform/clock';
import type { Logger } from '../src/platform/logger';
import { pipelineMetrics } from '../src/platform/metrics';
import { bullmqConnection } from '../src/platform/redis';
import type { RunBatchCompleter } from '../src/modules/run/run.batch';
import type { RunErrorCode } from '../src/modules/run/run.errors';
import { QueueName, type RunJob, type RunQueue, runJobOptions } from '../src/modules/run/run.queue';
import type { RunReconciler } from '../src/modules/run/run.reconciler';
import type { RunRepository } from '../src/modules/run/run.repository';
import { finalRunStatuses } from '../src/modules/run/run.types';
import type { RunJobResult, RunProcessorWorkerData } from './run.processor';

/** The built, sandboxed processor: worker threads cannot load TypeScript, so the build provides it. */
export function processorFile(): string {
  // __dirname is dist/workers when built, workers/ when run from source through tsx.
  const candidates = [
    path.join(__dirname, 'run.processor.js'),
    path.join(__dirname, '..', 'dist', 'workers', 'run.processor.js'),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (!found)
    throw new Error(
      `the sandboxed run processor is not built (looked for ${candidates.join(', ')}); run npm run build`,
    );
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
  /**
   * Called once a job will not be tried again, so its run does not stay RUNNING forever.
   * `recorded` is true when the executor already stored FAILED with its code (the processor's
   * UnrecoverableError); otherwise the run is still in flight and needs a FAILED of its own.
   */
  onGaveUp: (runId: string, reason: string, recorded: boolean) => Promise<void>,
): RunWorker {
  const workerData: RunProcessorWorkerData = { config };
  const redis = bullmqConnection(config.redis);
  const worker: RunWorker = new Worker<RunJob['data'], RunJobResult, RunJob['name']>(QueueName.runs, processorFile(), {
    connection: redis.connection,
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
    const recorded = error.name === 'UnrecoverableError';
    const gaveUp = recorded || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (gaveUp)
      onGaveUp(job.data.runId, error.message, recorded).catch((cause: unknown) =>
        logger.error({ err: cause, runId: job.data.runId }, 'could not mark run failed'),
      );
  });
  worker.on('error', (error) => logger.error({ err: error }, 'run worker error'));
  worker.on('closed', () => void redis.release());
  return worker;
}

/** A started worker process part: BullMQ worker, reconciler, metrics and batch completion. */
export interface RunWorkerHandle {
  /** Graceful stop: lets current runs finish within WORKER_SHUTDOWN_GRACE_MS, then hands them back. */
  stop(): Promise<void>;
  /** Resolves after the reconciler's first pass (at start). */
  readonly reconciled: Promise<void>;
}

/** What the run worker uses, built by the composition root (src/main/composition.ts); the caller closes them. */
export interface RunWorkerDependencies {
  readonly runs: RunRepository;
  readonly queue: RunQueue;
  readonly batches: RunBatchCompleter;
  readonly reconciler: RunReconciler;
  readonly clock: Clock;
}

/** Starts the run worker and its reconciler (src/main/worker.process.ts calls this). */
export async function startRunWorker(
  config: Config,
  logger: Logger,
  deps: RunWorkerDependencies,
): Promise<RunWorkerHandle> {
  const { runs, queue, batches, reconciler, clock } = deps;
  const metrics = pipelineMetrics();
  const active = new Map<string, Job<RunJob['data'], RunJobResult, RunJob['name']>>();

  const afterJob = async (runId: string, result: RunJobResult | undefined): Promise<void> => {
    // A job that stored the result says what the bookkeeping needs; only other endings read the run.
    const stored = result?.stored;
    const run = stored
      ? {
          status: 'SUCCEEDED' as const,
          batchId: stored.batchId,
          createdAt: new Date(stored.createdAtMs),
          startedAt: stored.startedAtMs === null ? null : new Date(stored.startedAtMs),
          finishedAt: new Date(stored.finishedAtMs),
        }
      : await runs.findForJob(runId);
    if (!run || !finalRunStatuses.has(run.status)) return;
    if (run.finishedAt) {
      metrics.runsFinishedTotal.inc({ status: run.status });
      metrics.runDurationSeconds.observe(
        { status: run.status, phase: 'total' },
        (run.finishedAt.getTime() - run.createdAt.getTime()) / 1000,
      );
      if (run.startedAt)
        metrics.runDurationSeconds.observe(
          { status: run.status, phase: 'execution' },
          (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
        );
    }
    if (result?.operations !== undefined && result.engineMs !== undefined) {
      metrics.engineOperationsTotal.inc(result.operations);
      if (result.engineMs > 0) metrics.engineOpsPerSecond.observe(result.operations / (result.engineMs / 1000));
    }
    if (run.batchId) await batches.completeBatchIfDone(run.batchId);
  };

  const worker = createRunWorker(config, logger, async (runId, reason, recorded) => {
    if (!recorded)
      await runs.finishWithoutResult(
        runId,
        'FAILED',
        { code: 'WORKER_FAILED' satisfies RunErrorCode, message: reason },
        0,
        clock.now(),
      );
    await afterJob(runId, undefined);
  });
  worker.on('active', (job) => {
    active.set(job.data.runId, job);
    logger.info({ runId: job.data.runId, jobId: job.id, attempt: job.attemptsStarted }, 'run job started');
  });
  worker.on('completed', (job, result) => {
    active.delete(job.data.runId);
    logger.info({ runId: job.data.runId, jobId: job.id, ...result }, 'run job completed');
    afterJob(job.data.runId, result).catch((error: unknown) =>
      logger.error({ err: error, runId: job.data.runId, jobId: job.id }, 'after-job bookkeeping failed'),
    );
  });
  worker.on('failed', (job) => {
    if (job) active.delete(job.data.runId);
  });
  await worker.waitUntilReady();

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
        // Past the grace period: hand each run back (run QUEUED, job waiting), then stop the
        // sandboxes. Another worker may start a handed-back run before this one's sandbox stops;
        // results are written only from RUNNING, once, so the overlap cannot store a second set.
        for (const job of unfinished) {
          const runId = job.data.runId;
          const requeued = await runs.requeue(runId);
          const handBack = job.token
            ? await queue.handBack(runId, job.token)
            : { handedBack: false, reason: 'no lock token' };
          logger.warn(
            { runId, jobId: job.id, requeued, ...handBack },
            'shutdown grace period over; run handed back to the queue',
          );
        }
        await worker.close(true);
      }
    },
  };
}
