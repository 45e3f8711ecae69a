import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { getRun, isFinal, obliterate, submitRun, testQueue, waitForRun } from './pipeline-support';

// Fault tests with real worker processes (`dmasim worker`, as operators run it): SIGKILL in the
// middle of a run (the job's lock expires, the stalled check hands it to the next worker, and the
// run completes with exactly one result set); SIGTERM letting the current run finish within the
// grace period; SIGTERM past the grace period handing the run back to the queue.
const repoRoot = path.join(__dirname, '..', '..', '..');

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

function startWorkerProcess(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'dmasim.js'), 'worker'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '1',
      WORKER_LOCK_DURATION_MS: '2000',
      RECONCILE_INTERVAL_MS: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 30_000);
    const onData = (): void => {
      if (output.includes('dmasim worker running')) {
        clearTimeout(timer);
        resolve({ child, exited, output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(() => reject(new Error(`worker exited early: ${output}`)));
  });
}

describe('pipeline faults', () => {
  let harness: ApiHarness;
  let db: Database;
  const started: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await startApiHarness();
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  });

  // Each test owns its workers: a leftover idle worker would otherwise take the next test's run.
  afterEach(async () => {
    for (const worker of started.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
  });

  afterAll(async () => {
    await obliterate();
    await db.$disconnect();
    await harness.stop();
  });

  async function worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const process_ = await startWorkerProcess(env);
    started.push(process_);
    return process_;
  }

  it('completes a run with exactly one result set after its worker is SIGKILLed mid-run', async () => {
    const { token } = await harness.newTeam();
    const first = await worker();
    const runId = await submitRun(harness, token, { operations: 400_000 });
    const running = await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING' && r.progress > 0);

    first.child.kill('SIGKILL');
    await first.exited;
    await worker();
    const run = await waitForRun(harness, token, runId, isFinal, 120_000);

    expect(running.progress).toBeLessThan(1);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts).toBeGreaterThanOrEqual(2);
    expect(await db.runReport.count({ where: { runId } })).toBe(1);
    expect(await db.allocatorMetrics.count({ where: { runId } })).toBe(1);
  }, 180_000);

  it('on SIGTERM lets the current run finish within the grace period, then exits', async () => {
    const { token } = await harness.newTeam();
    const process_ = await worker({ WORKER_SHUTDOWN_GRACE_MS: '60000' });
    const runId = await submitRun(harness, token, { operations: 50_000 });
    await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING');

    process_.child.kill('SIGTERM');
    const code = await process_.exited;
    const run = await getRun(harness, token, runId);

    expect(code).toBe(0);
    expect(run.status).toBe('SUCCEEDED');
    expect(await db.runReport.count({ where: { runId } })).toBe(1);
  }, 120_000);

  it('on SIGTERM past the grace period hands the run back to the queue (QUEUED, job waiting)', async () => {
    const { token } = await harness.newTeam();
    const process_ = await worker({ WORKER_SHUTDOWN_GRACE_MS: '500' });
    const runId = await submitRun(harness, token, { operations: 2_000_000 });
    await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING' && r.progress > 0);

    process_.child.kill('SIGTERM');
    const code = await process_.exited;
    const run = await getRun(harness, token, runId);
    const queue = testQueue();
    const state = await queue.getJobState(runId);
    await queue.close();

    expect(code).toBe(0);
    expect(run.status).toBe('QUEUED');
    expect(state).toBe('waiting');
    await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { status } }', { id: runId });
  }, 120_000);
});
