// The engine thread (runs as built JS from dist/, one per slot of the worker's EngineThreadPool): the
// engine is CPU-bound, and running it in the worker's own event loop would stall lock renewal so
// that the job ran twice. A thread starts once, loads its modules and opens its database client
// once, then executes one run at a time for as long as the worker lives (workers/engine-thread-pool.ts).
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../src/platform/clock';
import { type Config, loadConfig } from '../src/platform/config';
import { lowerCpuPriority } from '../src/platform/cpu-priority';
import { createDatabase } from '../src/platform/db';
import { buildRunExecutor } from '../src/main/composition';
import type { RunExecutor } from '../src/modules/run/run.executor';
import type { RunJobPlan } from '../src/modules/run/run.queue';
import { isInfrastructureError } from '../src/modules/run/run.errors';
import { engineSpecValidator } from '../src/modules/scenario/engine-spec-validator';

/** What the engine thread receives from the worker (run.worker.ts) as `workerData`. */
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

/** Worker → thread: execute a run (its job's plan lets the engine start before the run is RUNNING). */
export type EngineThreadRequest = { readonly type: 'execute'; readonly runId: string; readonly plan?: RunJobPlan };

/** Thread → worker. Exactly one of finished / failed / error answers each `execute`. */
export type EngineThreadMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly runId: string; readonly fraction: number }
  | { readonly type: 'finished'; readonly runId: string; readonly result: RunJobResult }
  /** The executor stored FAILED with this code (same input, same failure): never retried. */
  | { readonly type: 'failed'; readonly runId: string; readonly code: string; readonly message: string }
  /** The execution threw: `infrastructure` when the database (or the network to it) was the cause. */
  | {
      readonly type: 'error';
      readonly runId: string;
      readonly infrastructure: boolean;
      readonly name: string;
      readonly message: string;
    };

/**
 * The worker's configuration, passed in workerData: the parent may have been configured by its
 * caller (tests, `dmasim serve`) rather than only by this process's environment.
 */
function threadConfig(): Config {
  const data = workerData as Partial<RunProcessorWorkerData> | null | undefined;
  return data?.config ?? loadConfig();
}

async function execute(
  executor: RunExecutor,
  config: Config,
  runId: string,
  plan: RunJobPlan | undefined,
): Promise<EngineThreadMessage> {
  try {
    const outcome = await executor.execute(
      runId,
      {
        timeLimitMs: config.runTimeLimitMs,
        onProgress: (fraction) =>
          parentPort?.postMessage({ type: 'progress', runId, fraction } satisfies EngineThreadMessage),
      },
      plan,
    );
    switch (outcome.kind) {
      case 'failed':
        return { type: 'failed', runId, code: outcome.code, message: outcome.message };
      case 'succeeded':
        return {
          type: 'finished',
          runId,
          result: {
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
          },
        };
      default:
        return { type: 'finished', runId, result: { outcome: outcome.kind } };
    }
  } catch (error: unknown) {
    const cause = error instanceof Error ? error : new Error(String(error));
    return {
      type: 'error',
      runId,
      infrastructure: isInfrastructureError(error),
      name: cause.name,
      message: cause.message,
    };
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const config = threadConfig();
  // This thread only (Linux nice values are per thread): in `dmasim serve` the API's own thread
  // keeps its priority; a `dmasim worker` process has lowered itself already.
  lowerCpuPriority(config.workerNice);
  // One connection per engine thread: the executor's queries are sequential (docs/scaling.md).
  const db = createDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema, poolSize: 1 });
  const executor = buildRunExecutor(db, { clock: systemClock, specs: engineSpecValidator });
  port.on('message', (request: EngineThreadRequest) => {
    if (request.type !== 'execute') return;
    void execute(executor, config, request.runId, request.plan).then((answer) => port.postMessage(answer));
  });
  port.postMessage({ type: 'ready' } satisfies EngineThreadMessage);
}
