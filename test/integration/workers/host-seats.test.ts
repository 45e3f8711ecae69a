import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startWorkerProcess, type WorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { isFinal, obliterate, submitRun, waitForRun } from './pipeline-support';
import { killWorker, spawnWorker } from './worker-processes';

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

  it('lets only the seated process take jobs with WORKER_HOST_SEATS=1, and it keeps its seat while it runs', async () => {
    const scope = `test-${randomUUID()}`;
    const settings = { WORKER_HOST_SEATS: '1', WORKER_CONCURRENCY: '2' };
    const started = await Promise.all([startSeatedWorker(scope, settings), startSeatedWorker(scope, settings)]);
    workers.push(...started.map(({ worker }) => worker));
    const { token } = await harness.newTeam();
    const runIds = await Promise.all(
      Array.from({ length: 6 }, () => submitRun(harness, token, { operations: 300_000 })),
    );
    const runs = await Promise.all(runIds.map((runId) => waitForRun(harness, token, runId, isFinal)));

    expect(runs.map((run) => run.status)).toEqual(runIds.map(() => 'SUCCEEDED'));
    // Four jobs could run at once (two processes × concurrency 2), yet the runs' execution
    // intervals (RUNNING from started_at to the result's commit at finished_at) never overlap.
    const intervals = runs
      .map((run) => ({ startedMs: Date.parse(run.startedAt!), finishedMs: Date.parse(run.finishedAt!) }))
      .sort((a, b) => a.startedMs - b.startedMs);
    for (let index = 1; index < intervals.length; index += 1)
      expect(intervals[index]!.startedMs).toBeGreaterThanOrEqual(intervals[index - 1]!.finishedMs);
    // One process executed them all; the other stood by.
    expect(started.map(({ startedRuns }) => startedRuns().length).sort()).toEqual([0, 6]);
  });

  it('by default lets the processes of a host execute no more runs at once than it has CPUs', async () => {
    // The default (WORKER_HOST_SEATS unset: auto) in this file's own seat scope; two processes that
    // could each execute as many runs as the host has CPUs.
    const { WORKER_HOST_SEATS: _unset, ...environment } = process.env;
    const cpus = availableParallelism();
    const config = parseConfig({ ...environment, WORKER_CONCURRENCY: String(cpus) });
    expect(config.workerHostSeats).toBe(cpus);
    const started = await Promise.all([0, 1].map(() => startWorkerProcess(config, pino({ level: 'silent' }))));
    workers.push(...started);
    const { token } = await harness.newTeam();
    const runIds = await Promise.all(
      Array.from({ length: 3 * cpus }, () => submitRun(harness, token, { operations: 300_000 })),
    );
    const runs = await Promise.all(runIds.map((runId) => waitForRun(harness, token, runId, isFinal)));
    expect(runs.map((run) => run.status)).toEqual(runIds.map(() => 'SUCCEEDED'));
    // The most runs executing at once (RUNNING from started_at to the result's commit at
    // finished_at): up to 2 × cpus without seats (4 here when the default was removed), at most
    // cpus with them.
    const events = runs.flatMap((run) => [
      { atMs: Date.parse(run.startedAt!), delta: 1 },
      { atMs: Date.parse(run.finishedAt!), delta: -1 },
    ]);
    events.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta); // an end before a start at the same instant
    let executing = 0;
    let mostExecuting = 0;
    for (const event of events) {
      executing += event.delta;
      mostExecuting = Math.max(mostExecuting, executing);
    }
    expect(mostExecuting).toBeGreaterThanOrEqual(1);
    expect(mostExecuting).toBeLessThanOrEqual(cpus);
  });

  it('passes the seat of a killed worker process to a standby process, which runs the next runs', async () => {
    const env = { WORKER_HOST_SEATS: '1', WORKER_HOST_SEATS_SCOPE: `test-${randomUUID()}`, WORKER_CONCURRENCY: '1' };
    const spawned = await Promise.all([spawnWorker(env), spawnWorker(env)]);
    try {
      const { token } = await harness.newTeam();
      const first = await submitRun(harness, token, { operations: 2000 });
      expect((await waitForRun(harness, token, first, isFinal)).status).toBe('SUCCEEDED');
      const seated = spawned.find((worker) => worker.startedRuns().includes(first))!;
      const standby = spawned.find((worker) => worker !== seated)!;
      expect(standby.startedRuns()).toEqual([]);

      await killWorker(seated); // SIGKILL: its seat is freed with its connection
      const next = await Promise.all(Array.from({ length: 3 }, () => submitRun(harness, token, { operations: 2000 })));
      const finished = await Promise.all(next.map((runId) => waitForRun(harness, token, runId, isFinal)));
      expect(finished.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      expect(standby.startedRuns().sort()).toEqual([...next].sort());
    } finally {
      await Promise.all(spawned.map((worker) => killWorker(worker)));
    }
  });
});
