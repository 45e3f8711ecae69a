import { Queue } from 'bullmq';
import { bullmqConnection } from '../../platform/redis';
import type { OverlayRef, Run } from './run.types';

/** Queue names (one per job family). */
export const QueueName = { runs: 'runs' } as const;
/** Job names, a discriminated union on `name` below. */
export const JobName = { executeRun: 'execute-run' } as const;

/**
 * What a worker needs to start a run's engine before PostgreSQL has answered that the run is
 * RUNNING (the run's inputs, which never change after submit). Seed as a decimal string (JSON).
 */
export interface RunJobPlan {
  readonly teamId: string;
  readonly scenarioVersionId: string;
  readonly profile: string;
  readonly overlays: readonly OverlayRef[];
  readonly seed: string;
  readonly operationsCap: number | null;
}

/** A run's job: the run id (= job id), its team, and its plan when the enqueuer had the run at hand. */
export type RunJob = {
  name: typeof JobName.executeRun;
  data: { runId: string; teamId: string; plan?: RunJobPlan };
};

/** The plan of a stored run, for its job. */
export function planOfRun(run: Run): RunJobPlan {
  return {
    teamId: run.teamId,
    scenarioVersionId: run.scenarioVersionId,
    profile: run.profile,
    overlays: run.overlays,
    seed: run.seed.toString(),
    operationsCap: run.operationsCap,
  };
}

/** Where a run's job is in BullMQ; `missing` when Redis holds no job with that id. */
export type RunJobState =
  'waiting' | 'active' | 'delayed' | 'prioritized' | 'waiting-children' | 'completed' | 'failed' | 'missing';

/** How the run service hands runs to workers. jobId = runId, so enqueueing twice is harmless. */
export interface RunQueue {
  enqueue(job: RunJob['data']): Promise<void>;
  /** Removes a waiting job; false when there was none or it is already being processed. */
  remove(runId: string): Promise<boolean>;
  /** Where the run's job is (the reconciler's view of Redis). */
  jobState(runId: string): Promise<RunJobState>;
  /** Drops a finished (completed or failed) job so the same jobId can be enqueued again. */
  discardFinished(runId: string): Promise<void>;
  /** Moves an active job back to waiting, releasing the lock `token` holds (graceful shutdown); the reason when it could not. */
  handBack(runId: string, token: string): Promise<{ handedBack: true } | { handedBack: false; reason: string }>;
  /** Jobs per state, for the queue-depth gauge. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Retry and retention settings, explicit at the call site (TigerStyle). */
export const runJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { count: 1000, age: 7 * 24 * 3600 },
  removeOnFail: { count: 5000, age: 30 * 24 * 3600 },
} as const;

/** Job states counted by the queue-depth gauge. */
export const countedJobStates = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export interface BullmqRunQueue extends RunQueue {
  /** The underlying BullMQ queue, for bull-board only. */
  readonly bullmq: Queue;
}

/** How long an enqueue may wait for Redis before the run is left QUEUED for the reconciler. */
const enqueueTimeoutMs = 3000;

async function withinMs<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms (Redis unreachable?)`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `redisUrl` is REDIS_URL (one server or a cluster); `prefix` needs a hash tag on a cluster (Config.bullmqPrefix has one). */
export function createBullmqRunQueue(options: { redisUrl: string; prefix: string }): BullmqRunQueue {
  const redis = bullmqConnection(options.redisUrl);
  const queue = new Queue<RunJob['data'], void, RunJob['name']>(QueueName.runs, {
    connection: redis.connection,
    prefix: options.prefix,
  });
  // Connection errors reach the callers of each command; without a listener they would be printed as unhandled.
  queue.on('error', () => undefined);
  // BullMQ queues commands while Redis is away (maxRetriesPerRequest: null), so a call would wait
  // for the outage to end. Submitting and cancelling must answer at once instead: the run row in
  // PostgreSQL is the truth and the reconciler brings the queue back in line.
  const connected = async (): Promise<boolean> => (await queue.backend.client).status === 'ready';
  return {
    bullmq: queue as unknown as Queue,
    async enqueue(data) {
      if (!(await connected())) throw new Error('Redis is not connected; the run stays QUEUED for the reconciler');
      await withinMs(
        queue.add(JobName.executeRun, data, { ...runJobOptions, jobId: data.runId }),
        enqueueTimeoutMs,
        'enqueue',
      );
    },
    async remove(runId) {
      // Unreachable Redis: the job (if any) stays, and the executor skips a run that is no longer QUEUED.
      if (!(await connected())) return false;
      const job = await queue.getJob(runId);
      if (!job) return false;
      if (!(await job.isWaiting()) && !(await job.isDelayed())) return false;
      return (await queue.remove(runId)) === 1;
    },
    async jobState(runId) {
      const state = await queue.getJobState(runId);
      return state === 'unknown' ? 'missing' : (state as RunJobState);
    },
    async discardFinished(runId) {
      const state = await queue.getJobState(runId);
      if (state === 'completed' || state === 'failed') await queue.remove(runId);
    },
    async handBack(runId, token) {
      const job = await queue.getJob(runId);
      if (!job) return { handedBack: false, reason: 'no such job' };
      try {
        await job.moveToWait(token);
        return { handedBack: true };
      } catch (error: unknown) {
        // The lock expired or moved on: the stalled check hands the job back instead.
        return { handedBack: false, reason: error instanceof Error ? error.message : String(error) };
      }
    },
    async counts() {
      return queue.getJobCounts(...countedJobStates);
    },
    async close() {
      await queue.close();
      await redis.release();
    },
  };
}
