// Sandboxed BullMQ processor (runs in a worker thread, as built JS from dist/): the engine is
// CPU-bound, and running it in the worker's own event loop would stall lock renewal so that the
// job ran twice. Each thread keeps one database connection for its lifetime.
import { workerData } from 'node:worker_threads';
import { type SandboxedJob, UnrecoverableError } from 'bullmq';
import { systemClock } from '../src/platform/clock';
import { type Config, loadConfig } from '../src/platform/config';
import { createDatabase } from '../src/platform/db';
import { buildRunExecutor } from '../src/main/composition';
import type { RunExecutor } from '../src/modules/run/run.executor';
import type { RunJob } from '../src/modules/run/run.queue';
import { engineSpecValidator } from '../src/modules/scenario/engine-spec-validator';

/** What the worker thread receives from the worker (run.worker.ts) as `workerData`. */
export interface RunProcessorWorkerData {
  readonly config: Config;
}

/** What a finished job returns to the worker (for logs and metrics). */
export interface RunJobResult {
  readonly outcome: 'succeeded' | 'skipped' | 'cancelled' | 'timed-out';
  readonly resultHash?: string;
  readonly operations?: number;
  readonly engineMs?: number;
  /** Set when this job stored the result: the run's times (ms since epoch) and batch, so the worker need not re-read the run. */
  readonly stored?: { createdAtMs: number; startedAtMs: number | null; finishedAtMs: number; batchId: string | null };
}

let executor: RunExecutor | undefined;

/**
 * The worker's configuration, passed in workerData: the parent may have been configured by its
 * caller (tests, `dmasim serve`) rather than only by this process's environment.
 */
function threadConfig(): Config {
  const data = workerData as Partial<RunProcessorWorkerData> | null | undefined;
  return data?.config ?? loadConfig();
}

function executorForThread(config: Config): RunExecutor {
  if (!executor) {
    // One connection per engine thread: the executor's queries are sequential (docs/scaling.md).
    const db = createDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema, poolSize: 1 });
    executor = buildRunExecutor(db, { clock: systemClock, specs: engineSpecValidator });
  }
  return executor;
}

export default async function processRunJob(job: SandboxedJob<RunJob['data']>): Promise<RunJobResult> {
  const config = threadConfig();
  const outcome = await executorForThread(config).execute(job.data.runId, {
    timeLimitMs: config.runTimeLimitMs,
    onProgress: (fraction) => job.updateProgress(Math.round(fraction * 1000) / 1000),
  });
  switch (outcome.kind) {
    case 'failed':
      // The executor has stored FAILED with its code; this tells BullMQ not to retry.
      throw new UnrecoverableError(`${outcome.code}: ${outcome.message}`); // for people reading the job in the queue dashboard; nothing parses it
    case 'succeeded':
      return {
        outcome: outcome.kind,
        resultHash: outcome.resultHash,
        operations: outcome.operations,
        engineMs: Math.round(outcome.engineMs),
        ...(outcome.finishedAt
          ? {
              stored: {
                createdAtMs: outcome.run.createdAt.getTime(),
                startedAtMs: outcome.run.startedAt?.getTime() ?? null,
                finishedAtMs: outcome.finishedAt.getTime(),
                batchId: outcome.run.batchId,
              },
            }
          : {}),
      };
    default:
      return { outcome: outcome.kind };
  }
}
