import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startWorkerProcess, type WorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { getRun, isFinal, obliterate, submitRun, testQueue, unfinishable, waitForRun } from './pipeline-support';

jest.setTimeout(180_000);

// Execution seats shared by the worker processes of a host (WORKER_HOST_SEATS), with real workers,
// PostgreSQL and Redis. Each test has its own seat scope, so no other test or worker on the
// machine takes its seats.

/** A worker with a seat scope and a log that says which runs it started. */
async function startSeatedWorker(
  scope: string,
  settings: Record<string, string>,
): Promise<{ worker: WorkerProcess; startedRuns: () => string[] }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const worker = await startWorkerProcess(
    parseConfig({ ...process.env, WORKER_HOST_SEATS_SCOPE: scope, ...settings }),
    pino({ level: 'info' }, sink),
  );
  const startedRuns = (): string[] =>
    lines
      .map((line) => JSON.parse(line) as { msg: string; runId?: string })
      .filter((entry) => entry.msg === 'run job started')
      .map((entry) => entry.runId as string);
  return { worker, startedRuns };
}

describe('host execution seats', () => {
  let harness: ApiHarness;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    harness = await startApiHarness();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await obliterate();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('lets one run execute at a time across two worker processes with WORKER_HOST_SEATS=1', async () => {
    const scope = `test-${randomUUID()}`;
    const settings = { WORKER_HOST_SEATS: '1', WORKER_CONCURRENCY: '2' };
    const started = await Promise.all([startSeatedWorker(scope, settings), startSeatedWorker(scope, settings)]);
    workers.push(...started.map(({ worker }) => worker));
    const { token } = await harness.newTeam();
    const runIds = await Promise.all(Array.from({ length: 6 }, () => submitRun(harness, token, { operations: 300_000 })));
    const runs = await Promise.all(runIds.map((runId) => waitForRun(harness, token, runId, isFinal)));

    expect(runs.map((run) => run.status)).toEqual(runIds.map(() => 'SUCCEEDED'));
    // Four jobs could be fetched at once (two processes × concurrency 2), yet the runs' execution
    // intervals (RUNNING from started_at to the result's commit at finished_at) never overlap.
    const intervals = runs
      .map((run) => ({ startedMs: Date.parse(run.startedAt!), finishedMs: Date.parse(run.finishedAt!) }))
      .sort((a, b) => a.startedMs - b.startedMs);
    for (let index = 1; index < intervals.length; index += 1)
      expect(intervals[index]!.startedMs).toBeGreaterThanOrEqual(intervals[index - 1]!.finishedMs);
    // Both processes took part: the limit is the host's, not one process's.
    expect(started.every(({ startedRuns }) => startedRuns().length > 0)).toBe(true);
  });

  it('hands a job waiting for a seat back to the queue when its worker stops, and another worker runs it', async () => {
    const scope = `test-${randomUUID()}`;
    const settings = { WORKER_HOST_SEATS: '1', WORKER_CONCURRENCY: '1', WORKER_SHUTDOWN_GRACE_MS: '60000' };
    const started = await Promise.all([startSeatedWorker(scope, settings), startSeatedWorker(scope, settings)]);
    workers.push(...started.map(({ worker }) => worker));
    const { token } = await harness.newTeam();
    const blocking = await submitRun(harness, token, { operations: unfinishable.operations });
    await waitForRun(harness, token, blocking, (run) => run.status === 'RUNNING');
    const holder = started.find(({ startedRuns }) => startedRuns().includes(blocking))!;
    const waiter = started.find((candidate) => candidate !== holder)!;

    // The other process fetches this job and waits for the seat the blocking run holds.
    const waiting = await submitRun(harness, token, { operations: 2000 });
    const queue = testQueue();
    for (let polls = 0; (await queue.getJobState(waiting)) !== 'active'; polls += 1) {
      if (polls > 300) throw new Error('the waiting run was never fetched');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await getRun(harness, token, waiting)).status).toBe('QUEUED'); // fetched, not started

    // Stopping the waiting process does not sit out its 60 s grace period for a job it never started.
    workers.splice(workers.indexOf(waiter.worker), 1);
    await waiter.worker.stop();
    expect(await queue.getJobState(waiting)).toBe('waiting');
    await queue.close();
    expect(waiter.startedRuns()).toEqual([]);

    await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { status } }', { id: blocking });
    const finished = await waitForRun(harness, token, waiting, isFinal);
    expect(finished.status).toBe('SUCCEEDED');
    expect(holder.startedRuns()).toEqual([blocking, waiting]);
  });
});
