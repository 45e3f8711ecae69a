import pino from 'pino';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { getRun, isFinal, obliterate, submitRun, testQueue, unfinishable, waitForRun } from './pipeline-support';

// Waits here poll with their own, informative deadlines (waitForRun and waitForBatch: 60 s); the
// jest timeout (tests and the hooks that start a worker with its warm engine threads) must exceed them.
jest.setTimeout(120_000);

// Run lifecycle through GraphQL with a real worker (built sandboxed processor, this file's BullMQ
// prefix): cancellation while QUEUED and while RUNNING, per-run and team-default time limits, a
// spec that is invalid at run time failing without retry, and a duplicated job writing nothing.
// Long runs use 100,000,000 operations (`unfinishable`: far beyond any limit here on any machine) and
// are always stopped early, so no outcome depends on how fast the engine is.
describe('run lifecycle', () => {
  let harness: ApiHarness;
  let db: Database;

  beforeAll(async () => {
    harness = await startApiHarness();
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  });

  afterAll(async () => {
    await obliterate();
    await db.$disconnect();
    await harness.stop();
  });

  it('cancels a QUEUED run: its job leaves the queue and the run ends CANCELLED without starting', async () => {
    const { token } = await harness.newTeam();
    const runId = await submitRun(harness, token);
    const queue = testQueue();
    const stateBefore = await queue.getJobState(runId);

    const cancelled = await harness.gql<{ cancelRun: { status: string; attempts: number } }>(
      token,
      'mutation($id: UUID!) { cancelRun(id: $id) { status attempts } }',
      { id: runId },
    );
    const stateAfter = await queue.getJobState(runId);
    await queue.close();

    expect(stateBefore).toBe('waiting');
    expect(cancelled.data.cancelRun).toEqual({ status: 'CANCELLED', attempts: 0 });
    expect(stateAfter).toBe('unknown');
  });

  describe('with a worker', () => {
    let stopWorker: () => Promise<void>;
    let invalid: { token: string; runId: string };

    beforeAll(async () => {
      // A run whose stored spec becomes invalid after submission (e.g. a profile removed from the engine).
      const { token } = await harness.newTeam();
      const runId = await submitRun(harness, token, { operations: 500 });
      const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
      await db.scenarioVersion.update({
        where: { id: run.scenarioVersionId },
        data: { spec: { apiVersion: 'dmasim/v1', name: 'broken' } },
      });
      invalid = { token, runId };
      const handle = await startWorkerProcess(
        parseConfig({ ...process.env, WORKER_CONCURRENCY: '2' }),
        pino({ level: 'silent' }),
      );
      stopWorker = () => handle.stop();
    });

    afterAll(async () => {
      await stopWorker();
    });

    it('fails a run whose spec is invalid at run time once, without retrying it', async () => {
      const run = await waitForRun(harness, invalid.token, invalid.runId, isFinal);
      const queue = testQueue();
      const job = await queue.getJob(invalid.runId);
      await queue.close();

      expect(run).toMatchObject({ status: 'FAILED', errorCode: 'SPEC_INVALID', attempts: 1 });
      expect(job?.attemptsMade).toBe(1);
      expect(job?.failedReason).toContain('SPEC_INVALID');
    });

    it('cancels a RUNNING run within a second or two, keeping its partial progress and storing no report', async () => {
      const { token } = await harness.newTeam();
      const runId = await submitRun(harness, token, unfinishable);
      await waitForRun(harness, token, runId, (r) => r.status === 'RUNNING' && r.progress > 0);

      await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { status } }', { id: runId });
      const run = await waitForRun(harness, token, runId, isFinal);
      const report = await harness.gql<{ report: unknown }>(token, 'query($id: UUID!) { report(runId: $id) }', {
        id: runId,
      });

      expect(run.status).toBe('CANCELLED');
      expect(run.progress).toBeGreaterThan(0);
      expect(run.progress).toBeLessThan(1);
      expect(run.finishedAt).not.toBeNull();
      expect(report.data.report).toBeNull();
    });

    it('ends a run that exceeds its own time limit as TIMED_OUT', async () => {
      const { token } = await harness.newTeam();
      const runId = await submitRun(harness, token, { ...unfinishable, timeLimitMs: 1000 });

      const run = await waitForRun(harness, token, runId, isFinal);

      expect(run).toMatchObject({ status: 'TIMED_OUT', errorCode: 'TIME_LIMIT', resultHash: null });
      expect(run.errorMessage).toContain('1000 ms');
      expect(run.progress).toBeGreaterThan(0);
    });

    it("applies the team's default time limit when the run sets none", async () => {
      const { token, teamId } = await harness.newTeam();
      await db.team.update({ where: { id: teamId }, data: { runTimeLimitMs: 1500 } });
      const runId = await submitRun(harness, token, unfinishable);

      const run = await waitForRun(harness, token, runId, isFinal);

      expect(run).toMatchObject({ status: 'TIMED_OUT', errorCode: 'TIME_LIMIT' });
      expect(run.errorMessage).toContain('1500 ms');
    });

    it('rejects a time limit outside 1000-86400000 ms as input', async () => {
      const { token } = await harness.newTeam();

      await expect(submitRun(harness, token, { timeLimitMs: 10 })).rejects.toThrow(
        'must be 1000-86400000 milliseconds',
      );
    });

    it('writes one result set when a finished job is delivered again', async () => {
      const { token, teamId } = await harness.newTeam();
      const runId = await submitRun(harness, token, { operations: 1000 });
      const first = await waitForRun(harness, token, runId, isFinal);
      const queue = testQueue();
      await waitForJobState(queue, runId, 'completed');
      await queue.remove(runId);

      await queue.add('execute-run', { runId, teamId }, { jobId: runId });
      const redelivered = await waitForJobState(queue, runId, 'completed');
      await queue.close();
      const after = await getRun(harness, token, runId);

      expect(first.status).toBe('SUCCEEDED');
      expect(redelivered.returnvalue).toEqual({ outcome: 'skipped' });
      expect(after).toEqual(first);
      expect(await db.runReport.count({ where: { runId } })).toBe(1);
      expect(await db.allocatorMetrics.count({ where: { runId } })).toBe(1);
    });
  });
});

async function waitForJobState(
  queue: ReturnType<typeof testQueue>,
  jobId: string,
  state: string,
): Promise<{ returnvalue: unknown }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if ((await queue.getJobState(jobId)) === state) {
      const job = await queue.getJob(jobId);
      if (job) return { returnvalue: job.returnvalue };
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} never reached ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
