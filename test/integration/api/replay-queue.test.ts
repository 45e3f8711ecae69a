import pino from 'pino';
import { startWorkerProcess, type WorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { getRun, isFinal, obliterate, submitRun, waitForRun } from '../workers/pipeline-support';

// Issue #20 item 10: replayRun never runs the engine in the API process. A replay is a run on the
// run queue: it stays QUEUED (and the replay PENDING) while no worker runs, and the replay records
// its hash when a worker stores that run's results.
interface ReplayView {
  id: string;
  runId: string;
  replayRunId: string | null;
  status: string;
  expectedHash: string;
  actualHash: string | null;
  identical: boolean | null;
}
const replayFields = 'id runId replayRunId status expectedHash actualHash identical';

describe('replayRun through the run queue', () => {
  let harness: ApiHarness;
  let db: Database;
  let worker: WorkerProcess | undefined;
  const startWorker = async () => {
    worker = await startWorkerProcess(parseConfig({ ...process.env }), pino({ level: 'silent' }));
  };
  const stopWorker = async () => {
    await worker?.stop();
    worker = undefined;
  };

  beforeAll(async () => {
    harness = await startApiHarness();
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  });

  afterAll(async () => {
    await stopWorker();
    await obliterate();
    await db.$disconnect();
    await harness.stop();
  });

  const replay = async (token: string, runId: string) =>
    harness.gql<{
      replayRun: { __typename: string; replay?: ReplayView; userErrors?: Array<{ code: string; path: string[] }> };
    }>(
      token,
      `mutation($id: UUID!) { replayRun(runId: $id) { __typename ... on RunReplayed { replay { ${replayFields} } } ... on InputRejected { userErrors { code path } } } }`,
      { id: runId },
    );
  const listReplays = async (token: string, onlyDefects = false) =>
    (
      await harness.gql<{ runReplays: ReplayView[] }>(
        token,
        `query($d: Boolean) { runReplays(onlyDefects: $d) { ${replayFields} } }`,
        { d: onlyDefects },
      )
    ).data.runReplays;
  const waitForReplays = async (token: string, count: number): Promise<ReplayView[]> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const replays = await listReplays(token);
      if (replays.length === count && replays.every((r) => r.status !== 'PENDING')) return replays;
      if (Date.now() > deadline) throw new Error(`replays still pending: ${JSON.stringify(replays)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('refuses to replay a run that has not succeeded (no worker runs yet)', async () => {
    const { token } = await harness.newTeam();
    const runId = await submitRun(harness, token, { operations: 1000 });

    const response = await replay(token, runId);

    expect(response.data.replayRun).toEqual({
      __typename: 'InputRejected',
      userErrors: [{ code: 'RUN_NOT_SUCCEEDED', path: ['runId'] }],
    });
  });

  it('queues replays while no worker runs, and records IDENTICAL, DIFFERENT and NOT_COMPLETED once they end', async () => {
    const { token } = await harness.newTeam();
    await startWorker();
    const runIds = [
      await submitRun(harness, token, { operations: 3000 }),
      await submitRun(harness, token, { operations: 3000 }),
    ];
    const originals = await Promise.all(runIds.map((id) => waitForRun(harness, token, id, isFinal)));
    await stopWorker();
    expect(originals.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // The second run's stored hash is made wrong, so its replay must come out DIFFERENT.
    await db.run.update({ where: { id: runIds[1]! }, data: { resultHash: '0'.repeat(64) } });

    const identical = await replay(token, runIds[0]!);
    const different = await replay(token, runIds[1]!);
    const cancelled = await replay(token, runIds[0]!);
    const replayRunIds = [identical, different, cancelled].map((r) => r.data.replayRun.replay?.replayRunId ?? '');
    const queued = await Promise.all(replayRunIds.map((id) => getRun(harness, token, id)));
    await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { id } }', { id: replayRunIds[2] });
    const pending = await listReplays(token);

    // Without a worker nothing has executed: the API answered at once with PENDING and QUEUED runs.
    expect(identical.data.replayRun.replay).toMatchObject({
      runId: runIds[0],
      status: 'PENDING',
      expectedHash: originals[0]!.resultHash,
      actualHash: null,
      identical: null,
    });
    expect(queued.map((run) => [run.status, run.attempts, run.startedAt])).toEqual([
      ['QUEUED', 0, null],
      ['QUEUED', 0, null],
      ['QUEUED', 0, null],
    ]);
    const statusOf = (replays: ReplayView[]) =>
      replayRunIds.map((id) => replays.find((r) => r.replayRunId === id)?.status);
    expect(statusOf(pending)).toEqual(['PENDING', 'PENDING', 'NOT_COMPLETED']);

    await startWorker();
    const settled = await waitForReplays(token, 3);
    const defects = await listReplays(token, true);
    const replayRuns = await Promise.all(replayRunIds.map((id) => getRun(harness, token, id)));

    const byRun = replayRunIds.map((id) => settled.find((r) => r.replayRunId === id));
    await stopWorker();

    expect(byRun.map((r) => [r?.status, r?.identical])).toEqual([
      ['IDENTICAL', true],
      ['DIFFERENT', false],
      ['NOT_COMPLETED', null],
    ]);
    expect(byRun[0]?.actualHash).toBe(originals[0]!.resultHash);
    expect(byRun[1]?.actualHash).toBe(originals[1]!.resultHash); // the engine's real hash, not the tampered one
    expect(defects.map((r) => r.id)).toEqual([byRun[1]?.id]);
    expect(replayRuns.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'CANCELLED']);
    // Recorded by the worker when it stored the results, not only computed when read.
    const stored = await db.runReplay.findMany({ where: { replayRunId: { in: replayRunIds.slice(0, 2) } } });
    expect(stored.map((row) => row.identical).sort()).toEqual([false, true]);
  }, 240_000);
});
