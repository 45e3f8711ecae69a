import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { isFinal, obliterate, submitRun, waitForRun } from './pipeline-support';
import { killWorker, type SpawnedWorker, spawnWorker } from './worker-processes';

// WORKER_GLOBAL_CONCURRENCY: two `dmasim worker` processes with WORKER_CONCURRENCY=2 (four runs at
// once between them) capped at one run executing at once across both, sampled in PostgreSQL
// (RUNNING rows) while four runs of about a second each go through; then the cap lifted by a
// process started without it (the value a process states at start applies to the queue), and the
// same four runs overlap again.

const runsPerRound = 4;
/** About a second of engine time each on an idle machine: long enough for 25 ms samples to see overlap. */
const operations = 2_000_000;

describe('WORKER_GLOBAL_CONCURRENCY', () => {
  let harness: ApiHarness;
  let db: Database;
  const started: SpawnedWorker[] = [];

  beforeAll(async () => {
    harness = await startApiHarness();
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  });

  afterEach(async () => {
    for (const spawned of started.splice(0)) await killWorker(spawned);
  });

  afterAll(async () => {
    await obliterate();
    await db.$disconnect();
    await harness.stop();
  });

  async function workers(count: number, env: Record<string, string>): Promise<void> {
    started.push(...(await Promise.all(Array.from({ length: count }, () => spawnWorker(env)))));
  }

  /** Submits a round of runs and returns the most RUNNING at once, sampled every 25 ms until all are final. */
  async function peakRunningOfRound(token: string): Promise<{ peak: number; statuses: string[] }> {
    const runIds = await Promise.all(
      Array.from({ length: runsPerRound }, () => submitRun(harness, token, { operations })),
    );
    let peak = 0;
    let done = false;
    const finals = Promise.all(runIds.map((id) => waitForRun(harness, token, id, isFinal, 170_000))).finally(() => {
      done = true;
    });
    while (!done) {
      const running = await db.run.count({ where: { id: { in: runIds }, status: 'RUNNING' } });
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return { peak, statuses: (await finals).map((run) => run.status) };
  }

  it('caps the runs executing at once across worker processes, and a process without it lifts the cap', async () => {
    const { token } = await harness.newTeam();
    await workers(2, { WORKER_CONCURRENCY: '2', WORKER_GLOBAL_CONCURRENCY: '1', LOG_LEVEL: 'warn' });

    const capped = await peakRunningOfRound(token);

    expect(capped.statuses).toEqual(Array(runsPerRound).fill('SUCCEEDED'));
    expect(capped.peak).toBe(1);

    for (const spawned of started.splice(0)) await killWorker(spawned);
    await workers(2, { WORKER_CONCURRENCY: '2', WORKER_GLOBAL_CONCURRENCY: '0', LOG_LEVEL: 'warn' });

    const uncapped = await peakRunningOfRound(token);

    expect(uncapped.statuses).toEqual(Array(runsPerRound).fill('SUCCEEDED'));
    expect(uncapped.peak).toBeGreaterThanOrEqual(2);
  }, 400_000);
});
