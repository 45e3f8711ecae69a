import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import type { RunBatchCompleter } from './run.batch';
import type { RunQueue } from './run.queue';
import type { RunRepository } from './run.repository';

/** What one reconciliation pass did (logged, and returned for tests and metrics). */
export interface ReconcileSummary {
  /** QUEUED runs that had no job (enqueue failed, Redis lost its data) and were enqueued. */
  readonly enqueued: string[];
  /** RUNNING runs whose job was gone, moved back to QUEUED and enqueued. */
  readonly requeued: string[];
  /** RUNNING runs whose job was gone but whose executor is alive (fresh heartbeat): left alone. */
  readonly alive: string[];
  /** RUNNING runs whose job was gone after too many attempts, ended FAILED with WORKER_LOST. */
  readonly failed: string[];
}

export interface ReconcilerOptions {
  /** A RUNNING run whose job is gone is failed (WORKER_LOST) once it has been attempted this often. */
  readonly maxAttempts: number;
  /** Runs younger than this are left alone: their submitter may still be enqueueing them. */
  readonly minAgeMs?: number;
  /** Runs examined per pass (oldest first). */
  readonly batchSize?: number;
  /**
   * A RUNNING run whose heartbeat (stamped by its engine thread at start and with every progress
   * update, about 4 times a second) is younger than this still has a live executor: it is not
   * re-queued even when its job is gone, so it never runs twice at once.
   */
  readonly heartbeatStaleMs: number;
}

/**
 * Makes the database and the queue agree again. PostgreSQL is the source of
 * truth: every QUEUED or RUNNING run must have a live job (jobId = runId). Every step is a
 * conditional update or an idempotent enqueue, so any number of workers may reconcile at once.
 */
export class RunReconciler {
  constructor(
    private readonly runs: RunRepository,
    private readonly queue: RunQueue,
    private readonly batches: RunBatchCompleter,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: ReconcilerOptions,
  ) {}

  async reconcileOnce(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { enqueued: [], requeued: [], alive: [], failed: [] };
    const nowMs = this.clock.now().getTime();
    const createdBefore = new Date(nowMs - (this.options.minAgeMs ?? 5000));
    for (const run of await this.runs.listInFlightForReconcile(this.options.batchSize ?? 1000, createdBefore)) {
      const state = await this.queue.jobState(run.id);
      const jobGone = state === 'missing' || state === 'completed' || state === 'failed';
      if (!jobGone) continue;
      const log = this.logger.child({ runId: run.id, jobId: run.id, jobState: state });
      if (run.status === 'QUEUED') {
        await this.queue.discardFinished(run.id);
        await this.queue.enqueue({ runId: run.id, teamId: run.teamId });
        summary.enqueued.push(run.id);
        log.warn('reconciler: QUEUED run had no job; enqueued it');
        continue;
      }
      if (run.heartbeatAt && nowMs - run.heartbeatAt.getTime() < this.options.heartbeatStaleMs) {
        summary.alive.push(run.id);
        log.info({ heartbeatAt: run.heartbeatAt }, 'reconciler: RUNNING run has no job but its executor is alive');
        continue;
      }
      if (run.attempts >= this.options.maxAttempts) {
        const message = `the worker running this run was lost ${run.attempts} times (job ${state})`;
        if (
          await this.runs.finishWithoutResult(run.id, 'FAILED', { code: 'WORKER_LOST', message }, 0, this.clock.now())
        ) {
          summary.failed.push(run.id);
          log.error(
            { attempts: run.attempts },
            'reconciler: RUNNING run lost its job too often; FAILED with WORKER_LOST',
          );
          if (run.batchId) await this.batches.completeBatchIfDone(run.batchId);
        }
        continue;
      }
      if (await this.runs.requeue(run.id)) {
        await this.queue.discardFinished(run.id);
        await this.queue.enqueue({ runId: run.id, teamId: run.teamId });
        summary.requeued.push(run.id);
        log.warn({ attempts: run.attempts }, 'reconciler: RUNNING run had no job; re-queued it');
      }
    }
    return summary;
  }

  /**
   * Runs a pass now and then every `intervalMs` until the returned stop is called; `alsoEachPass`
   * runs after each pass (its failure is logged and retried at the next one).
   */
  start(
    intervalMs: number,
    alsoEachPass?: () => Promise<unknown>,
  ): { stop(): Promise<void>; readonly firstPass: Promise<void> } {
    let running: Promise<void> = Promise.resolve();
    const pass = (): Promise<void> => {
      running = this.reconcileOnce()
        .then(
          (summary) => {
            const changed = summary.enqueued.length + summary.requeued.length + summary.failed.length;
            if (changed > 0) this.logger.info({ ...summary }, 'reconciler pass');
          },
          (error: unknown) =>
            this.logger.error({ err: error }, 'reconciler pass failed; retrying at the next interval'),
        )
        .then(() => alsoEachPass?.())
        .then(
          () => undefined,
          (error: unknown) =>
            this.logger.error(
              { err: error },
              'reconciler: re-registering schedulers failed; retrying at the next pass',
            ),
        );
      return running;
    };
    const firstPass = pass();
    const timer = setInterval(() => {
      void running.then(pass);
    }, intervalMs);
    timer.unref();
    return {
      firstPass,
      async stop() {
        clearInterval(timer);
        await running;
      },
    };
  }
}
