import pino from 'pino';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { RunBatchCompleter, type BatchComparison } from '../../../src/modules/run/run.batch';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { systemClock } from '../../../src/platform/clock';
import { parseConfig } from '../../../src/platform/config';
import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { createScenario, exampleSpec, isFinal, obliterate, submitRun, waitForRun } from './pipeline-support';

// Waits here poll with their own, informative deadlines (waitForRun and waitForBatch: 60 s); the
// jest timeout (tests and the hooks that start a worker with its warm engine threads) must exceed them.
jest.setTimeout(120_000);

// Matrix batches complete exactly once with a stored side-by-side comparison; live progress over
// graphql-ws subscriptions on /graphql, authenticated by connection params and scoped to the team.
const silent = pino({ level: 'silent' });

describe('batches and subscriptions', () => {
  let harness: ApiHarness;
  let db: Database;
  let stopWorker: () => Promise<void>;
  const completedBatches: string[] = [];
  const recordCompletion = (batch: { id: string }): void => {
    completedBatches.push(batch.id);
  };
  const clients: Client[] = [];

  beforeAll(async () => {
    harness = await startApiHarness();
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
    const handle = await startWorkerProcess(parseConfig({ ...process.env, WORKER_CONCURRENCY: '3' }), silent, {
      onBatchCompleted: recordCompletion,
    });
    stopWorker = () => handle.stop();
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await stopWorker();
    await obliterate();
    await db.$disconnect();
    await harness.stop();
  });

  function wsClient(token: string | undefined): Client {
    const client = createClient({
      url: `${harness.api.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  }

  /** Subscribes and collects every payload until the server completes the subscription (or it errors). */
  function collect<T>(
    client: Client,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ payloads: T[]; errors: unknown[]; closeCode?: number }> {
    return new Promise((resolve) => {
      const payloads: T[] = [];
      const errors: unknown[] = [];
      client.subscribe<T>(
        { query, variables },
        {
          next: (message) => {
            if (message.data) payloads.push(message.data);
            if (message.errors) errors.push(...message.errors);
          },
          error: (error: unknown) => resolve({ payloads, errors, closeCode: (error as { code?: number }).code }),
          complete: () => resolve({ payloads, errors }),
        },
      );
    });
  }

  async function submitMatrix(token: string): Promise<{ id: string; runs: Array<{ id: string }> }> {
    const scenarioId = await createScenario(
      harness,
      token,
      exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 3000),
    );
    const response = await harness.gql<{ submitMatrix: { batch: { id: string; runs: Array<{ id: string }> } } }>(
      token,
      'mutation($input: SubmitMatrixInput!) { submitMatrix(input: $input) { ... on MatrixSubmitted { batch { id runs { id } } } } }',
      {
        input: {
          scenarioId,
          entries: [
            { profile: 'la-phys' },
            { profile: 'lb' },
            { profile: 'lb', overlays: [{ name: 'device-cc-accepted' }] },
          ],
        },
      },
    );
    return response.data.submitMatrix.batch;
  }

  async function waitForBatch(
    token: string,
    batchId: string,
  ): Promise<{ status: string; finishedAt: string | null; comparison: BatchComparison | null }> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await harness.gql<{
        runBatch: { status: string; finishedAt: string | null; comparison: BatchComparison | null };
      }>(token, 'query($id: UUID!) { runBatch(id: $id) { status finishedAt comparison } }', { id: batchId });
      if (response.data.runBatch.comparison !== null) return response.data.runBatch;
      if (Date.now() > deadline) throw new Error(`batch ${batchId} did not complete: ${JSON.stringify(response.data)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('completes a batch once all its runs end and stores the side-by-side comparison', async () => {
    const { token } = await harness.newTeam();
    const batch = await submitMatrix(token);

    const completed = await waitForBatch(token, batch.id);

    expect(completed.status).toBe('SUCCEEDED');
    expect(completed.finishedAt).not.toBeNull();
    expect(completed.comparison?.columns.map((c) => c.runId)).toEqual(batch.runs.map((r) => r.id));
    expect(
      completed.comparison?.columns.every(
        (c) => c.status === 'SUCCEEDED' && c.resultHash !== null && c.metrics !== null,
      ),
    ).toBe(true);
    expect(completed.comparison?.columns.map((c) => c.profile)).toEqual(['la-phys', 'lb', 'lb']);
    expect(completed.comparison?.violations.length).toBeGreaterThan(0);
    expect(completedBatches.filter((id) => id === batch.id)).toHaveLength(1);
  });

  it('lets exactly one of several concurrent finishers complete a batch', async () => {
    const { token } = await harness.newTeam();
    const batch = await submitMatrix(token);
    await waitForBatch(token, batch.id);
    await db.runBatch.update({
      where: { id: batch.id },
      data: { status: 'RUNNING', finishedAt: null, comparison: undefined },
    });
    const completer = new RunBatchCompleter(new RunRepository(db), systemClock, silent, recordCompletion);

    const results = await Promise.all(Array.from({ length: 6 }, () => completer.completeBatchIfDone(batch.id)));

    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(completedBatches.filter((id) => id === batch.id)).toHaveLength(2); // once by the worker, once here
  });

  it('completes a batch whose last run is cancelled while QUEUED, with FAILED overall', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await createScenario(
      harness,
      token,
      exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 2_000_000),
    );
    const response = await harness.gql<{ submitMatrix: { batch: { id: string; runs: Array<{ id: string }> } } }>(
      token,
      'mutation($input: SubmitMatrixInput!) { submitMatrix(input: $input) { ... on MatrixSubmitted { batch { id runs { id } } } } }',
      { input: { scenarioId, entries: [{ profile: 'lb' }] } },
    );
    const batch = response.data.submitMatrix.batch;
    for (const run of batch.runs)
      await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { status } }', { id: run.id });

    const completed = await waitForBatch(token, batch.id);

    expect(completed.status).toBe('FAILED');
    expect(completed.comparison?.columns.map((c) => c.status)).toEqual(['CANCELLED']);
  });

  it('streams a run from its current state through progress to SUCCEEDED, then completes', async () => {
    const { token } = await harness.newTeam();
    const runId = await submitRun(harness, token, { operations: 4_000_000 });

    const { payloads, errors } = await collect<{
      runUpdated: {
        id: string;
        status: string;
        progress: number;
        resultHash: string | null;
        finishedAt: string | null;
      };
    }>(
      wsClient(token),
      'subscription($id: UUID!) { runUpdated(runId: $id) { id status progress errorCode errorMessage resultHash startedAt finishedAt } }',
      { id: runId },
    );
    const states = payloads.map((p) => p.runUpdated);
    const last = states.at(-1);

    expect(errors).toEqual([]);
    expect(states.every((s) => s.id === runId)).toBe(true);
    expect(states.some((s) => s.status === 'RUNNING' && s.progress > 0 && s.progress < 1)).toBe(true);
    expect(last).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
    expect(last?.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(last?.finishedAt).not.toBeNull();
  });

  it('streams a batch until every run has ended', async () => {
    const { token } = await harness.newTeam();
    const batch = await submitMatrix(token);

    const { payloads, errors } = await collect<{
      batchUpdated: { id: string; status: string; runs: Array<{ status: string }> };
    }>(
      wsClient(token),
      'subscription($id: UUID!) { batchUpdated(batchId: $id) { id status runs { id status progress } } }',
      { id: batch.id },
    );

    expect(errors).toEqual([]);
    expect(payloads.at(-1)?.batchUpdated.status).toBe('SUCCEEDED');
    expect(payloads.at(-1)?.batchUpdated.runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it("answers another team's run id with NOT_FOUND", async () => {
    const owner = await harness.newTeam();
    const other = await harness.newTeam();
    const runId = await submitRun(harness, owner.token, { operations: 1000 });

    const { payloads, errors } = await collect(
      wsClient(other.token),
      'subscription($id: UUID!) { runUpdated(runId: $id) { id status } }',
      { id: runId },
    );

    expect(payloads).toEqual([]);
    expect(errors).toEqual([expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })]);
    await waitForRun(harness, owner.token, runId, isFinal);
  });

  it('closes a connection with a bad token or none with 4403', async () => {
    const bad = await collect(
      wsClient('dms_nope_nope'),
      'subscription { runUpdated(runId: "00000000-0000-4000-8000-000000000000") { id } }',
      {},
    );
    const none = await collect(
      wsClient(undefined),
      'subscription { runUpdated(runId: "00000000-0000-4000-8000-000000000000") { id } }',
      {},
    );

    expect(bad.closeCode).toBe(4403);
    expect(none.closeCode).toBe(4403);
    expect(bad.payloads).toEqual([]);
  });
});
