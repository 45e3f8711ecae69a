import { Queue, Worker } from 'bullmq';
import type { Logger } from '../src/platform/logger';
import { bullmqConnection } from '../src/platform/redis';
import {
  type BatchJob,
  batchJobOptions,
  RegressionJobName,
  RegressionQueueName,
  type ScheduleJob,
  sweepEveryMs,
  sweepSchedulerId,
  type WebhookJob,
} from '../src/modules/regression/regression.queue';

/** What the regression workers call; built by src/main/composition.ts from the schedule, webhook and suite services. */
export interface RegressionJobHandlers {
  fireSchedule(scheduleId: string): Promise<unknown>;
  /** Attempts one delivery; throws to make BullMQ retry. `finalAttempt` marks the delivery FAILED instead. */
  deliverWebhook(deliveryId: string, finalAttempt: boolean): Promise<unknown>;
  sweepOpenBatches(): Promise<unknown>;
  reconcileSchedules(): Promise<unknown>;
}

/** Started regression workers. */
export interface RegressionWorkersHandle {
  stop(): Promise<void>;
  /**
   * Puts the job schedulers back when Redis lost them (it restarted empty): if the sweep's scheduler
   * is missing, every schedule's scheduler is reconciled from PostgreSQL and the sweep re-registered.
   * Idempotent and cheap when nothing is missing (one Redis read); true when it re-registered.
   */
  registerSchedulersIfLost(): Promise<boolean>;
}

/**
 * Starts the regression workers (schedule firings, webhook deliveries, the sweep of open suite
 * batches), after reconciling the job schedulers from PostgreSQL.
 */
export async function startRegressionWorkers(options: {
  redisUrl: string;
  prefix: string;
  logger: Logger;
  handlers: RegressionJobHandlers;
}): Promise<RegressionWorkersHandle> {
  const { handlers, logger } = options;
  const redis = bullmqConnection(options.redisUrl);
  const connection = redis.connection;
  await handlers.reconcileSchedules();
  const batchesQueue = new Queue<BatchJob['data'], void, string>(RegressionQueueName.batches, {
    connection,
    prefix: options.prefix,
  });
  const upsertSweep = () =>
    batchesQueue.upsertJobScheduler(
      sweepSchedulerId,
      { every: sweepEveryMs },
      { name: RegressionJobName.sweep, data: {}, opts: batchJobOptions },
    );
  await upsertSweep();
  const workers = [
    new Worker<ScheduleJob['data'], unknown, ScheduleJob['name']>(
      RegressionQueueName.schedules,
      (job) => handlers.fireSchedule(job.data.scheduleId),
      { connection, prefix: options.prefix, concurrency: 2 },
    ),
    new Worker<WebhookJob['data'], unknown, WebhookJob['name']>(
      RegressionQueueName.webhooks,
      (job) => handlers.deliverWebhook(job.data.deliveryId, job.attemptsMade + 1 >= (job.opts.attempts ?? 1)),
      { connection, prefix: options.prefix, concurrency: 4 },
    ),
    new Worker<BatchJob['data'], unknown, BatchJob['name']>(
      RegressionQueueName.batches,
      () => handlers.sweepOpenBatches(),
      { connection, prefix: options.prefix, concurrency: 2 },
    ),
  ];
  for (const worker of workers) {
    worker.on('failed', (job, error) =>
      logger.warn(
        { queue: worker.name, jobId: job?.id, attempt: job?.attemptsMade, err: error },
        'regression job failed',
      ),
    );
    worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'regression worker error'));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    async stop() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await batchesQueue.close();
      await redis.release();
    },
    async registerSchedulersIfLost() {
      if (await batchesQueue.getJobScheduler(sweepSchedulerId)) return false;
      await handlers.reconcileSchedules();
      await upsertSweep();
      logger.warn('regression job schedulers were missing from Redis; re-registered them from PostgreSQL');
      return true;
    },
  };
}
