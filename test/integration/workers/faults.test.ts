import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { getRun, isFinal, obliterate, submitRun, testQueue, unfinishable, waitForRun } from './pipeline-support';
import { killWorker, type SpawnedWorker, spawnWorker } from './worker-processes';

// Fault tests with real worker processes (`dmasim worker`, as operators run it): SIGKILL in the
// middle of a run (the job's lock expires, the stalled check hands it to the next worker, and the
// run completes with exactly one result set); SIGTERM letting the current run finish within the
// grace period; SIGTERM past the grace period handing the run back to the queue.

describe('pipeline faults', () => {
  let harness: ApiHarness;
  let db: Database;
  const started: SpawnedWorker[] = [];

  beforeAll(async () => {
    harness = await startApiHarness();
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  });

  // Each test owns its workers: a leftover idle worker would otherwise take the next test's run.
  afterEach(async () => {
    for (const spawned of started.splice(0)) await killWorker(spawned);
  });

  afterAll(async () => {
    await obliterate();
    await db.$disconnect();
    await harness.stop();
  });

  async function worker(env: Record<string, string> = {}): Promise<SpawnedWorker> {
    const process_ = await spawnWorker(env);
    started.push(process_);
    return process_;
  }

  it('completes a run with exactly one result set after its worker is SIGKILLed mid-run', async () => {
    const { token } = await harness.newTeam();
    const first = await worker();
    // Long enough (about a second of engine time even on a fast, idle machine) for the 200 ms poll
    // to see it RUNNING with progress before it ends; shorter runs can finish between two polls.
    const runId = await submitRun(harness, token, { operations: 3_000_000 });
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
    // As above: a run that cannot finish between two 200 ms polls, so it is seen RUNNING before SIGTERM.
    const runId = await submitRun(harness, token, { operations: 3_000_000 });
    await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING');

    process_.child.kill('SIGTERM');
    const code = await process_.exited;
    const run = await getRun(harness, token, runId);

    expect(code).toBe(0);
    expect(run.status).toBe('SUCCEEDED');
    expect(await db.runReport.count({ where: { runId } })).toBe(1);
  }, 120_000);

  it('on SIGTERM past the grace period stops the engine, hands the run back and exits; another worker runs it', async () => {
    const { token } = await harness.newTeam();
    const graceMs = 1000;
    const stopping = await worker({ WORKER_SHUTDOWN_GRACE_MS: String(graceMs) });
    const runId = await submitRun(harness, token, { ...unfinishable, timeLimitMs: 3_600_000 });
    await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING' && r.progress > 0);

    const signalledAt = Date.now();
    stopping.child.kill('SIGTERM');
    const code = await stopping.exited;
    const exitMs = Date.now() - signalledAt;
    console.log(`faults: SIGTERM with a ${graceMs} ms grace period: exited after ${exitMs} ms`);
    const handedBack = await getRun(harness, token, runId);
    const queue = testQueue();
    const state = await queue.getJobState(runId);
    await queue.close();

    expect(code).toBe(0);
    expect(handedBack).toMatchObject({ status: 'QUEUED', attempts: 1 });
    expect(state).toBe('waiting');
    // The stopping worker executed the run once and never took it again after handing it back.
    expect(stopping.startedRuns().filter((id) => id === runId)).toHaveLength(1);
    // Generous bound (the engine thread is terminated, not awaited): grace + 15 s, not the 30 s+ of a thread kill timeout.
    expect(exitMs).toBeLessThan(graceMs + 15_000);

    const next = await worker();
    await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING' && r.attempts === 2);
    expect(next.startedRuns()).toContain(runId);
    await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { status } }', { id: runId });
    await waitForRun(harness, token, runId, isFinal);
  }, 180_000);
});
