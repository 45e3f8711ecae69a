// Sandboxed BullMQ processor (runs in a worker thread, as built JS from dist/): the engine is
// CPU-bound, and running it in the worker's own event loop would stall lock renewal so that the
// job ran twice (architecture.md §8). Each thread keeps one database connection for its lifetime.
import { type SandboxedJob, UnrecoverableError } from 'bullmq';
import { systemClock } from '../src/platform/clock';
import { loadConfig } from '../src/platform/config';
import { createDatabase, type Database } from '../src/platform/db';
import { RunExecutor } from '../src/modules/run/run.executor';
import type { RunJob } from '../src/modules/run/run.queue';
import { RunRepository } from '../src/modules/run/run.repository';
import { ResultRepository } from '../src/modules/result/result.repository';
import { ScenarioRepository } from '../src/modules/scenario/scenario.repository';

let db: Database | undefined;
let executor: RunExecutor | undefined;

function executorForThread(): RunExecutor {
  if (!executor) {
    const config = loadConfig();
    db = createDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema });
    executor = new RunExecutor(new RunRepository(db), new ScenarioRepository(db), new ResultRepository(db), systemClock);
  }
  return executor;
}

export default async function processRunJob(job: SandboxedJob<RunJob['data']>): Promise<{ outcome: string; resultHash?: string }> {
  const config = loadConfig();
  const outcome = await executorForThread().execute(job.data.runId, {
    timeLimitMs: config.runTimeLimitMs,
    onProgress: (fraction) => job.updateProgress(Math.round(fraction * 1000) / 1000),
  });
  if (outcome.kind === 'failed') throw new UnrecoverableError(`${outcome.code}: ${outcome.message}`);
  return { outcome: outcome.kind, ...(outcome.kind === 'succeeded' ? { resultHash: outcome.resultHash } : {}) };
}
