import { existsSync } from 'node:fs';
import path from 'node:path';
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Config } from '../src/platform/config';
import type { Clock } from '../src/platform/clock';
import type { Logger } from '../src/platform/logger';
import { createHostSeats, type HostSeats } from '../src/platform/host-seats';
import { pipelineMetrics } from '../src/platform/metrics';
import { bullmqConnection } from '../src/platform/redis';
import type { RunBatchCompleter } from '../src/modules/run/run.batch';
import type { RunErrorCode } from '../src/modules/run/run.errors';
import { QueueName, type RunJob, type RunQueue, runJobOptions } from '../src/modules/run/run.queue';
import type { RunReconciler } from '../src/modules/run/run.reconciler';
import type { RunRepository } from '../src/modules/run/run.repository';
import { finalRunStatuses } from '../src/modules/run/run.types';
import { EngineThreadPool } from './engine-thread-pool';
import type { RunJobResult, RunProcessorWorkerData } from './run.processor';

/** The built engine-thread entry: worker threads cannot load TypeScript, so the build provides it. */
export function processorFile(): string {
  // __dirname is dist/workers when built, workers/ when run from source through tsx.
  const candidates = [
    path.join(__dirname, 'run.processor.js'),
    path.join(__dirname, '..', 'dist', 'workers', 'run.processor.js'),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (!found)
    throw new Error(
      `the engine thread (run processor) is not built (looked for ${candidates.join(', ')}); run npm run build`,
    );
  return found;
}

type RunWorker = Worker<RunJob['data'], RunJobResult, RunJob['name']>;
type RunBullJob = Job<RunJob['data'], RunJobResult, RunJob['name']>;

/** Thrown for an execution that failed for an unexpected reason (a bug, not the database): uses up one attempt. */
export class RunProcessingError extends Error {
  override readonly name = 'RunProcessingError';
}

/** Delay before an infrastructure retry: 1 s, 2 s, 4 s … capped at 30 s (the job's attempts are not used up). */
export function infrastructureRetryDelayMs(timesStarted: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, Math.min(15, timesStarted - 1)));
}

/**
 * Forwards an engine thread's progress to the job, at most one Redis write in flight: later values
 * replace earlier unsent ones, and a failed write (Redis away) is dropped — progress is advisory,
 * the run row holds the truth.
 */
function progressForwarder(job: RunBullJob): (fraction: number) => void {
  let pending: number | undefined;
  let writing = false;
  const flush = (): void => {
    if (pending === undefined) {
      writing = false;
      return;
    }
    const value = Math.round(pending * 1000) / 1000;
    pending = undefined;
    writing = true;
    job.updateProgress(value).then(flush, flush);
  };
  return (fraction) => {
    pending = fraction;
    if (!writing) flush();
  };
}

/** The run worker's moving parts, for startRunWorker. */
interface RunWorkerParts {
  readonly worker: RunWorker;
  readonly pool: EngineThreadPool;
  /** The host's execution seats (WORKER_HOST_SEATS; undefined: no limit): the worker takes jobs only while it holds some. */
  readonly seats: HostSeats | undefined;
  /** Jobs this worker is executing, by run id, with their lock tokens (for the hand-back at shutdown). */
  readonly executing: Map<string, { job: RunBullJob; token: string | undefined }>;
  /** Stop taking jobs: a job fetched after this is handed straight back without executing. */
  beginStop(): void;
  /** Marks runs being handed back, so their executions' ends do not touch the job again. */
  readonly handingBack: Set<string>;
}

/**
 * A BullMQ worker for runs whose processor hands each job to a warm engine thread
 * (EngineThreadPool, one thread per unit of concurrency). Outcomes:
 * - the executor stored FAILED (invalid spec, engine invariant): UnrecoverableError, no retry;
 * - infrastructure (database unreachable, engine thread died, Redis away): the job is delayed with
 *   backoff without using up an attempt, and the run is never marked FAILED for it;
 * - anything else (a bug): the job fails and BullMQ retries it (runJobOptions); after the last attempt
 *   `onGaveUp` stores FAILED with WORKER_FAILED.
 */
export function createRunWorker(
  config: Config,
  logger: Logger,
  /** Called once a job failed for an unexpected reason on its last attempt. */
  onGaveUp: (runId: string, reason: string) => Promise<void>,
  /**
   * Called when an execution ended with the run final in PostgreSQL (finished or FAILED), before
   * the job is completed in Redis — so metrics and batch completion happen even if Redis lost the job.
   */
  onExecuted: (runId: string, result: RunJobResult | undefined) => void,
): RunWorkerParts {
  const workerData: RunProcessorWorkerData = { config };
  const redis = bullmqConnection(config.redis);
  const pool = new EngineThreadPool(processorFile(), config.workerConcurrency, workerData, logger);
  const seats = createHostSeats({
    capacity: config.workerHostSeats,
    scope: config.workerHostSeatsScope,
    logger,
  });
  const executing = new Map<string, { job: RunBullJob; token: string | undefined }>();
  const handingBack = new Set<string>();
  let stopping = false;

  const processJob = async (job: RunBullJob, token?: string): Promise<RunJobResult> => {
    const runId = job.data.runId;
    if (stopping) {
      // Fetched while this worker stops: straight back to waiting, for another worker.
      if (token) await job.moveToWait(token).catch(() => undefined);
      throw new WaitingError();
    }
    executing.set(runId, { job, token });
    logger.info({ runId, jobId: job.id, attempt: job.attemptsStarted }, 'run job started');
    try {
      const outcome = await pool.execute(runId, progressForwarder(job), job.data.plan);
      if (handingBack.has(runId)) throw new WaitingError(); // the shutdown moved the job back already
      switch (outcome.kind) {
        case 'finished':
          // A skipped run (already final: a duplicated job) was accounted for by its first execution.
          if (outcome.result.outcome !== 'skipped') onExecuted(runId, outcome.result);
          return outcome.result;
        case 'failed':
          onExecuted(runId, undefined);
          // The executor has stored FAILED with its code; this tells BullMQ not to retry.
          throw new UnrecoverableError(`${outcome.code}: ${outcome.message}`);
        case 'error': {
          if (!outcome.infrastructure) throw new RunProcessingError(`${outcome.name}: ${outcome.message}`);
          const delayMs = infrastructureRetryDelayMs(job.attemptsStarted);
          logger.warn(
            { runId, jobId: job.id, delayMs, reason: outcome.message },
            'run job hit an infrastructure error; retrying later without using an attempt',
          );
          // When Redis itself is away this fails too; the lock then expires (stalled check) or the
          // job is gone (Redis restarted empty) and the reconciler enqueues the run again.
          if (token) await job.moveToDelayed(Date.now() + delayMs, token).catch(() => undefined);
          throw new DelayedError();
        }
      }
    } finally {
      executing.delete(runId);
    }
  };

  const worker: RunWorker = new Worker<RunJob['data'], RunJobResult, RunJob['name']>(QueueName.runs, processJob, {
    connection: redis.connection,
    prefix: config.bullmqPrefix,
    concurrency: config.workerConcurrency,
    // A crashed process (SIGKILL, OOM) leaves the job active with a lock that expires after
    // lockDuration; the stalled check (any worker) then hands it back.
    lockDuration: config.workerLockDurationMs,
    stalledInterval: Math.max(500, Math.floor(config.workerLockDurationMs / 2)),
    maxStalledCount: runJobOptions.attempts,
    autorun: false,
  });
  worker.on('failed', (job, error) => {
    logger.warn({ runId: job?.data.runId, jobId: job?.id, attempt: job?.attemptsMade, err: error }, 'run job failed');
    if (!job) return;
    // Only a bug on its last attempt ends the run here; a stalled job (process or thread lost) is
    // left to the reconciler, which re-queues it or, past RECONCILE_MAX_ATTEMPTS, ends it WORKER_LOST.
    if (error.name === 'RunProcessingError' && job.attemptsMade >= (job.opts.attempts ?? 1))
      onGaveUp(job.data.runId, error.message).catch((cause: unknown) =>
        logger.error({ err: cause, runId: job.data.runId }, 'could not mark run failed'),
      );
  });
  worker.on('error', (error) => logger.error({ err: error }, 'run worker error'));
  worker.on('closed', () => void redis.release());
  return {
    worker,
    pool,
    seats,
    executing,
    handingBack,
    beginStop: () => {
      stopping = true;
    },
  };
}

/** A started worker process part: BullMQ worker, reconciler, metrics and batch completion. */
export interface RunWorkerHandle {
  /** Graceful stop: lets current runs finish within WORKER_SHUTDOWN_GRACE_MS, then hands them back. */
  stop(): Promise<void>;
  /**
   * Takes no new jobs until resume() (a job fetched at that moment still runs); resolves once the
   * runs in progress have finished. Host seats stay held.
   */
  pause(): Promise<void>;
  /** Takes jobs again after pause() (a standby process still waits for its seats). */
  resume(): void;
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
  /** Runs after every reconciler pass (the regression schedulers' re-registration). */
  readonly alsoEachPass?: () => Promise<unknown>;
}

/** Starts the run worker and its reconciler (src/main/worker.process.ts calls this). */
export async function startRunWorker(
  config: Config,
  logger: Logger,
  deps: RunWorkerDependencies,
): Promise<RunWorkerHandle> {
  const { runs, queue, batches, reconciler, clock } = deps;
  const metrics = pipelineMetrics();

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

  const parts = createRunWorker(
    config,
    logger,
    async (runId, reason) => {
      await runs.finishWithoutResult(
        runId,
        'FAILED',
        { code: 'WORKER_FAILED' satisfies RunErrorCode, message: reason },
        0,
        clock.now(),
      );
      await afterJob(runId, undefined);
    },
    (runId, result) => {
      afterJob(runId, result).catch((error: unknown) =>
        logger.error({ err: error, runId }, 'after-job bookkeeping failed'),
      );
    },
  );
  const { worker, pool, executing, handingBack } = parts;
  worker.on('completed', (job, result) => {
    logger.info({ runId: job.data.runId, jobId: job.id, ...result }, 'run job completed');
  });
  // Warm threads first (modules loaded, database clients open), then take jobs once seated.
  await pool.ready();
  const intake = takeJobsWhileSeated(worker, parts.seats, config.workerConcurrency, logger);
  await worker.waitUntilReady();

  const reconciling = reconciler.start(config.reconcileIntervalMs, deps.alsoEachPass);

  return {
    reconciled: reconciling.firstPass,
    pause: () => intake.pause(),
    resume: () => intake.resume(),
    async stop() {
      // 1. Take no new jobs: a job fetched from now on goes straight back to waiting.
      parts.beginStop();
      parts.seats?.cancelWaiting(); // a standby process takes no seat from now on
      await worker.pause(true);
      await settledWithin(reconciling.stop(), config.workerShutdownGraceMs);
      // 2. Give the current runs the grace period to finish.
      const deadline = Date.now() + config.workerShutdownGraceMs;
      while (executing.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      // 3. Past the grace period: stop each engine thread, then hand its run back (run QUEUED, job
      //    waiting with the lock released). The thread stops before the hand-back, so no other
      //    worker can start the run while this one still executes it.
      for (const [runId, { job, token }] of [...executing]) {
        handingBack.add(runId);
        await pool.terminateRun(runId);
        // Bounded: with PostgreSQL or Redis away these wait for nobody; the reconciler fixes the rest.
        const requeued = await settledWithin(runs.requeue(runId), 1000);
        const handBack = token
          ? await settledWithin(queue.handBack(runId, token), 1000)
          : { handedBack: false, reason: 'no lock token' };
        logger.warn(
          { runId, jobId: job.id, requeued, ...handBack },
          'shutdown grace period over; run handed back to the queue',
        );
      }
      await pool.close();
      await parts.seats?.close();
      await settledWithin(worker.close(true), 1000);
    },
  };
}

/**
 * Runs the BullMQ worker with as many jobs at once as it holds host seats, up to WORKER_CONCURRENCY;
 * with none it takes no jobs (a standby process: the seats of a process that stops or dies pass to
 * it). A process keeps its seats while it runs, so the processes that execute stay the same ones:
 * a seat handed to the next waiting process after every run left four processes on two cores a
 * quarter behind two (each run then woke another process; see docs/scaling.md).
 */
function takeJobsWhileSeated(
  worker: RunWorker,
  seats: HostSeats | undefined,
  concurrency: number,
  logger: Logger,
): { pause(): Promise<void>; resume(): void } {
  // seated: may take jobs (always without seats); started: worker.run() was called; paused: pause()
  // asked for no new jobs. BullMQ's resume() starts a worker that never ran, so a paused standby
  // process must not be resumed through it before it holds a seat.
  const state = { seated: !seats, started: false, paused: false };
  const run = (): void => {
    state.started = true;
    void worker.run().catch((error: unknown) => logger.error({ err: error }, 'run worker stopped with an error'));
  };
  const intake = {
    async pause(): Promise<void> {
      state.paused = true;
      if (state.started) await worker.pause();
    },
    resume(): void {
      if (!state.paused) return;
      state.paused = false;
      if (state.started) void worker.resume();
      else if (state.seated) run();
    },
  };
  if (!seats) {
    run();
    return intake;
  }
  let held = 0;
  worker.concurrency = 1;
  logger.info({ concurrency }, 'run worker waits for host execution seats');
  for (let index = 0; index < concurrency; index += 1)
    void seats.acquire().then((seat) => {
      if (!seat) return; // the worker stops; its seats go when it closes them or its connection ends
      held += 1;
      state.seated = true;
      if (held === 1 && !state.paused) run();
      else if (held > 1) worker.concurrency = held;
      logger.info({ seats: held, concurrency }, 'run worker holds host execution seats');
    });
  return intake;
}

/** Waits for `work` at most `ms` (its value, or undefined when it failed or took longer). */
async function settledWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
