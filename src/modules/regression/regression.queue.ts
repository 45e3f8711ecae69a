import { Queue } from 'bullmq';
import { bullmqConnection } from '../../platform/redis';

/** Queue names of regression runs (one per job family). */
export const RegressionQueueName = {
  schedules: 'regression-schedules',
  webhooks: 'regression-webhooks',
  batches: 'regression-batches',
} as const;
/** Job names: each has a typed payload and exactly one handler (RegressionJobHandlers). */
export const RegressionJobName = {
  fireSchedule: 'fire-schedule',
  deliverWebhook: 'deliver-webhook',
  sweep: 'sweep-open-batches',
} as const;

export type ScheduleJob = { name: typeof RegressionJobName.fireSchedule; data: { scheduleId: string } };
export type WebhookJob = { name: typeof RegressionJobName.deliverWebhook; data: { deliveryId: string } };
/** Suite batches are compared when their run batches complete (onBatchCompleted); the sweep catches the ones whose event was lost. */
export type BatchJob = { name: typeof RegressionJobName.sweep; data: Record<string, never> };

/** The scheduler id of the sweep that catches suite batches whose completion event was lost. */
export const sweepSchedulerId = 'regression-sweep';
export const sweepEveryMs = 30_000;

/**
 * BullMQ job schedulers for regression schedules. The Schedule row is the source of truth: every
 * write upserts or removes the scheduler, and workers reconcile all of them from the rows at start.
 * Scheduler id = schedule id, so upserting twice is harmless.
 */
export interface RegressionScheduler {
  upsert(schedule: { id: string; cron: string; timeZone: string }): Promise<void>;
  remove(scheduleId: string): Promise<void>;
  /** Ids of the schedule schedulers in Redis (the sweep excluded). */
  list(): Promise<string[]>;
}

/** Hands regression work to workers. */
export interface RegressionJobs {
  enqueueWebhookDelivery(deliveryId: string): Promise<void>;
}

export interface RegressionQueues {
  readonly scheduler: RegressionScheduler;
  readonly jobs: RegressionJobs;
  close(): Promise<void>;
}

/** Retries with exponential backoff: 1 s, 2 s, 4 s, 8 s, 16 s, then the delivery is FAILED. */
export const webhookJobOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000, age: 7 * 24 * 3600 },
  removeOnFail: { count: 5000, age: 30 * 24 * 3600 },
} as const;

export const batchJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
} as const;
const scheduleJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
} as const;

export function createRegressionQueues(options: { redisUrl: string; prefix: string }): RegressionQueues {
  const redis = bullmqConnection(options.redisUrl);
  const connection = redis.connection;
  // Scheduler ids share BullMQ's NameType, so these queues take string names.
  const schedules = new Queue<ScheduleJob['data'], void, string>(RegressionQueueName.schedules, {
    connection,
    prefix: options.prefix,
  });
  const webhooks = new Queue<WebhookJob['data'], void, WebhookJob['name']>(RegressionQueueName.webhooks, {
    connection,
    prefix: options.prefix,
  });
  const batches = new Queue<BatchJob['data'], void, string>(RegressionQueueName.batches, {
    connection,
    prefix: options.prefix,
  });
  return {
    scheduler: {
      async upsert(schedule) {
        await schedules.upsertJobScheduler(
          schedule.id,
          { pattern: schedule.cron, tz: schedule.timeZone },
          { name: RegressionJobName.fireSchedule, data: { scheduleId: schedule.id }, opts: scheduleJobOptions },
        );
      },
      async remove(scheduleId) {
        await schedules.removeJobScheduler(scheduleId);
      },
      async list() {
        return (await schedules.getJobSchedulers(0, -1)).map((s) => s.key);
      },
    },
    jobs: {
      async enqueueWebhookDelivery(deliveryId) {
        await webhooks.add(
          RegressionJobName.deliverWebhook,
          { deliveryId },
          { ...webhookJobOptions, jobId: deliveryId },
        );
      },
    },
    async close() {
      await Promise.allSettled([schedules.close(), webhooks.close(), batches.close()]);
      await redis.release();
    },
  };
}
