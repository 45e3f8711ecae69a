import { Queue } from 'bullmq';

/** Queue names (one per job family). */
export const QueueName = { runs: 'runs' } as const;
/** Job names, a discriminated union on `name` below. */
export const JobName = { executeRun: 'execute-run' } as const;

export type RunJob = { name: typeof JobName.executeRun; data: { runId: string; teamId: string } };

/** How the run service hands runs to workers. jobId = runId, so enqueueing twice is harmless. */
export interface RunQueue {
  enqueue(job: RunJob['data']): Promise<void>;
  /** Removes a waiting job; false when there was none or it is already being processed. */
  remove(runId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Retry and retention settings, explicit at the call site (TigerStyle). */
export const runJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { count: 1000, age: 7 * 24 * 3600 },
  removeOnFail: { count: 5000, age: 30 * 24 * 3600 },
} as const;

export function createBullmqRunQueue(options: { redisUrl: string; prefix: string }): RunQueue {
  const queue = new Queue<RunJob['data'], void, RunJob['name']>(QueueName.runs, {
    connection: { url: options.redisUrl, maxRetriesPerRequest: null },
    prefix: options.prefix,
  });
  return {
    async enqueue(data) {
      await queue.add(JobName.executeRun, data, { ...runJobOptions, jobId: data.runId });
    },
    async remove(runId) {
      const job = await queue.getJob(runId);
      if (!job) return false;
      if (!(await job.isWaiting()) && !(await job.isDelayed())) return false;
      return (await queue.remove(runId)) === 1;
    },
    close: () => queue.close(),
  };
}
