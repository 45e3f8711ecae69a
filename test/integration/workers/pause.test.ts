import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { startWorkerProcess, type WorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { getRun, isFinal, obliterate, submitRun, waitForRun } from './pipeline-support';
import { eventually, killWorker, spawnWorker } from './worker-processes';

jest.setTimeout(180_000);

// Pausing a worker process (SIGUSR2) and resuming it (SIGCONT), with real workers, PostgreSQL and
// Redis: a paused process finishes what it runs and takes nothing new until it is resumed.

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('pausing a worker process', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApiHarness();
  });

  afterEach(async () => {
    await obliterate();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('finishes its current run on SIGUSR2, takes no new runs while paused, and runs them after SIGCONT', async () => {
    const worker = await spawnWorker();
    try {
      const { token } = await harness.newTeam();
      const first = await submitRun(harness, token, { operations: 300_000 });
      await waitForRun(harness, token, first, (run) => run.status !== 'QUEUED');
      worker.child.kill('SIGUSR2');
      await eventually('the paused line', async () =>
        worker.output().includes('dmasim worker paused') ? true : undefined,
      );
      // "paused" comes once the run in progress has finished, not before.
      expect((await getRun(harness, token, first)).status).toBe('SUCCEEDED');

      const waiting = await Promise.all([
        submitRun(harness, token, { operations: 2000 }),
        submitRun(harness, token, { operations: 2000 }),
      ]);
      await sleep(1500);
      expect(await Promise.all(waiting.map(async (runId) => (await getRun(harness, token, runId)).status))).toEqual([
        'QUEUED',
        'QUEUED',
      ]);

      worker.child.kill('SIGCONT');
      const finished = await Promise.all(waiting.map((runId) => waitForRun(harness, token, runId, isFinal)));
      expect(finished.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(worker.output()).toContain('dmasim worker resumed');
      expect(worker.startedRuns().sort()).toEqual([first, ...waiting].sort());
    } finally {
      await killWorker(worker);
    }
  });

  it('keeps a paused standby process from taking runs when a seat passes to it, until it is resumed', async () => {
    const settings = {
      ...process.env,
      WORKER_HOST_SEATS: '1',
      WORKER_HOST_SEATS_SCOPE: `test-${randomUUID()}`,
      WORKER_CONCURRENCY: '1',
    };
    const seated = await startWorkerProcess(parseConfig(settings), pino({ level: 'silent' }));
    let standby: WorkerProcess | undefined;
    try {
      standby = await startWorkerProcess(parseConfig(settings), pino({ level: 'silent' }));
      await standby.pause();
      await seated.stop(); // its seat passes to the paused standby process
      const { token } = await harness.newTeam();
      const runId = await submitRun(harness, token, { operations: 2000 });
      await sleep(1500);
      expect((await getRun(harness, token, runId)).status).toBe('QUEUED');

      standby.resume();
      expect((await waitForRun(harness, token, runId, isFinal)).status).toBe('SUCCEEDED');
    } finally {
      await standby?.stop();
      await seated.stop().catch(() => undefined);
    }
  });
});
