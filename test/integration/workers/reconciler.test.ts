import pino from 'pino';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { createRegressionQueues } from '../../../src/modules/regression/regression.queue';
import { buildApiServices } from '../../../src/main/composition';
import { RunBatchCompleter } from '../../../src/modules/run/run.batch';
import { createBullmqRunQueue, type RunQueue } from '../../../src/modules/run/run.queue';
import { RunReconciler } from '../../../src/modules/run/run.reconciler';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { engineSpecValidator } from '../../../src/modules/scenario/engine-spec-validator';
import { systemClock } from '../../../src/platform/clock';
import { parseConfig } from '../../../src/platform/config';
import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import {
  createScenario,
  deleteOwnPrefixKeys,
  exampleSpec,
  getRun,
  isFinal,
  obliterate,
  submitRun,
  testQueue,
  waitForRun,
} from './pipeline-support';

// Waits here poll with their own, informative deadlines (waitForRun and waitForBatch: 60 s); the
// jest timeout (tests and the hooks that start a worker with its warm engine threads) must exceed them.
jest.setTimeout(120_000);

// The reconciler makes PostgreSQL (the source of truth) and BullMQ agree again: a run whose enqueue
// failed after its row was written, runs whose Redis keys vanished (a Redis restart without
// persistence, simulated by deleting this file's own prefix), and RUNNING runs whose job is gone.
const silent = pino({ level: 'silent' });

describe('run reconciler', () => {
  let harness: ApiHarness;
  let db: Database;
  let queue: RunQueue & { close(): Promise<void> };

  beforeAll(async () => {
    harness = await startApiHarness();
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
    queue = createBullmqRunQueue({ redisUrl: process.env['REDIS_URL']!, prefix: process.env['BULLMQ_PREFIX']! });
  });

  afterAll(async () => {
    await obliterate();
    await queue.close();
    await db.$disconnect();
    await harness.stop();
  });

  function reconciler(maxAttempts = 3): RunReconciler {
    const runs = new RunRepository(db);
    return new RunReconciler(runs, queue, new RunBatchCompleter(runs, systemClock, silent), systemClock, silent, {
      maxAttempts,
      minAgeMs: 0,
      heartbeatStaleMs: 10_000,
    });
  }

  it('fails a RUNNING run whose job is gone once it has used its attempts (WORKER_LOST)', async () => {
    const { token } = await harness.newTeam();
    const runId = await submitRun(harness, token);
    const runs = new RunRepository(db);
    for (let attempt = 0; attempt < 3; attempt++) await runs.markRunning(runId, minutesAgo(10));
    await deleteJob(runId);

    const summary = await reconciler(3).reconcileOnce();
    const run = await getRun(harness, token, runId);

    expect(summary.failed).toContain(runId);
    expect(run).toMatchObject({ status: 'FAILED', errorCode: 'WORKER_LOST', attempts: 3 });
    expect(run.finishedAt).not.toBeNull();
  });

  it('leaves runs whose job is waiting alone', async () => {
    const { token } = await harness.newTeam();
    const runId = await submitRun(harness, token);

    const summary = await reconciler().reconcileOnce();

    expect([...summary.enqueued, ...summary.requeued, ...summary.failed]).not.toContain(runId);
    expect(await queue.jobState(runId)).toBe('waiting');
  });

  describe('with a worker', () => {
    let stopWorker: () => Promise<void>;
    const lost: Array<{ token: string; runId: string }> = [];
    let enqueueFailed: { token: string; runId: string };
    let runningWithoutJob: { token: string; runId: string };

    beforeAll(async () => {
      // Three runs queued, then Redis loses every key of this prefix before any worker runs.
      const { token } = await harness.newTeam();
      for (let i = 0; i < 3; i++)
        lost.push({ token, runId: await submitRun(harness, token, { operations: 1000 + i }) });

      // A RUNNING run (a worker took it, attempt 1) whose job vanished.
      const running = await harness.newTeam();
      runningWithoutJob = {
        token: running.token,
        runId: await submitRun(harness, running.token, { operations: 1500 }),
      };
      // Its executor died long ago: the heartbeat is 10 minutes old.
      await new RunRepository(db).markRunning(runningWithoutJob.runId, minutesAgo(10));

      await deleteOwnPrefixKeys();

      // A submission whose enqueue fails after the row is written (Redis refused the add).
      const failing = await harness.newTeam();
      const failingQueue: RunQueue = { ...queue, enqueue: () => Promise.reject(new Error('Redis is down')) };
      const regressionQueues = createRegressionQueues({
        redisUrl: process.env['REDIS_URL']!,
        prefix: process.env['BULLMQ_PREFIX']!,
      });
      const services = buildApiServices({
        db,
        clock: systemClock,
        logger: silent,
        runQueue: failingQueue,
        specs: engineSpecValidator,
        regressionQueues,
      });
      const viewer = await services.teams.authenticate(`Bearer ${failing.token}`);
      const scenarioId = await createScenario(
        harness,
        failing.token,
        exampleSpec('s07-tdx-tdisp-nvme-accepted.yaml', 1000),
      );
      const submitted = await services.runs.submit(viewer, { scenarioId });
      if (!('run' in submitted)) throw new Error('submit was rejected');
      enqueueFailed = { token: failing.token, runId: submitted.run.id };
      await regressionQueues.close();

      const handle = await startWorkerProcess(parseConfig({ ...process.env, RECONCILE_INTERVAL_MS: '1000' }), silent);
      stopWorker = () => handle.stop();
    });

    afterAll(async () => {
      await stopWorker();
    });

    it('re-enqueues QUEUED runs whose Redis keys were lost, and each completes with one result set', async () => {
      const finished = await Promise.all(lost.map(({ token, runId }) => waitForRun(harness, token, runId, isFinal)));

      expect(finished.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      for (const { runId } of lost) expect(await db.runReport.count({ where: { runId } })).toBe(1);
    });

    it('re-queues a RUNNING run whose job is gone and completes it', async () => {
      const run = await waitForRun(harness, runningWithoutJob.token, runningWithoutJob.runId, isFinal);

      expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
      expect(await db.runReport.count({ where: { runId: runningWithoutJob.runId } })).toBe(1);
    });

    it('enqueues a run whose enqueue failed after the database write', async () => {
      const before = await getRun(harness, enqueueFailed.token, enqueueFailed.runId);

      const run = await waitForRun(harness, enqueueFailed.token, enqueueFailed.runId, isFinal);

      expect(before.status).toMatch(/QUEUED|RUNNING|SUCCEEDED/);
      expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(await db.runReport.count({ where: { runId: enqueueFailed.runId } })).toBe(1);
    });

    it('leaves a RUNNING run alone when its job vanished but its executor is alive (fresh heartbeat)', async () => {
      const { token } = await harness.newTeam();
      const runId = await submitRun(harness, token, { operations: 8_000_000 });
      await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING' && r.progress > 0);
      await deleteOwnPrefixKeys(); // Redis lost the job while the engine thread keeps executing

      const summary = await reconciler().reconcileOnce();
      const run = await waitForRun(harness, token, runId, isFinal);

      expect(summary.alive).toContain(runId);
      expect(summary.requeued).not.toContain(runId);
      expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(await db.runReport.count({ where: { runId } })).toBe(1);
    }, 120_000);
  });
});

async function deleteJob(runId: string): Promise<void> {
  const queue = testQueue();
  await queue.remove(runId);
  await queue.close();
}

function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000);
}
