import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Queue } from 'bullmq';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { engineSpecValidator } from '../../../src/modules/scenario/engine-spec-validator';
import { RunExecutor } from '../../../src/modules/run/run.executor';
import { QueueName } from '../../../src/modules/run/run.queue';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { ResultRepository } from '../../../src/modules/result/result.repository';
import { ScenarioRepository } from '../../../src/modules/scenario/scenario.repository';
import { systemClock } from '../../../src/platform/clock';
import { parseConfig } from '../../../src/platform/config';
import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';

// Waits here poll with their own, informative deadlines (waitForRun and waitForBatch: 60 s); the
// jest timeout (tests and the hooks that start a worker with its warm engine threads) must exceed them.
jest.setTimeout(120_000);

// The run pipeline end to end: GraphQL submit → BullMQ (real Redis, this file's prefix) → worker
// thread running the built processor → one result transaction in PostgreSQL → GraphQL queries.
const examples = path.join(__dirname, '..', '..', '..', 'examples');

describe('run pipeline', () => {
  let harness: ApiHarness;
  let stopWorker: () => Promise<void>;
  let db: Database;

  beforeAll(async () => {
    harness = await startApiHarness();
    stopWorker = (
      await startWorkerProcess(parseConfig({ ...process.env, WORKER_CONCURRENCY: '2' }), pino({ level: 'silent' }))
    ).stop;
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  });

  afterAll(async () => {
    await stopWorker();
    const queue = new Queue(QueueName.runs, {
      connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
      prefix: process.env['BULLMQ_PREFIX']!,
    });
    await queue.obliterate({ force: true });
    await queue.close();
    await db.$disconnect();
    await harness.stop();
  });

  async function submit(token: string, specFile: string, operations: number): Promise<string> {
    const spec = readFileSync(path.join(examples, specFile), 'utf8').replace(
      /operations: \d+/,
      `operations: ${operations}`,
    );
    const created = await harness.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec },
    );
    const run = await harness.gql<{ submitRun: { run: { id: string } } }>(
      token,
      'mutation($s: UUID!) { submitRun(input: { scenarioId: $s }) { ... on RunSubmitted { run { id } } } }',
      { s: created.data.createScenario.scenario.id },
    );
    return run.data.submitRun.run.id;
  }

  async function waitForFinalStatus(
    token: string,
    runId: string,
  ): Promise<{ status: string; resultHash: string | null; progress: number; attempts: number }> {
    for (let i = 0; i < 120; i++) {
      const response = await harness.gql<{
        run: { status: string; resultHash: string | null; progress: number; attempts: number };
      }>(token, 'query($id: UUID!) { run(id: $id) { status resultHash progress attempts } }', { id: runId });
      if (!['QUEUED', 'RUNNING'].includes(response.data.run.status)) return response.data.run;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`run ${runId} did not finish`);
  }

  it('runs a submitted scenario to SUCCEEDED with violations, metrics and the report queryable', async () => {
    const { token } = await harness.newTeam();
    const runId = await submit(token, 's04-hyperv-snp-confidential-storvsc.yaml', 5000);

    const run = await waitForFinalStatus(token, runId);
    const results = await harness.gql<{
      violations: { edges: Array<{ node: { class: string; severity: string } }> };
      metrics: { nslabs: number; hiwater: number };
      report: { resultHash: string; summary: { verdict: string } };
    }>(
      token,
      'query($id: UUID!) { violations(filter: { runId: $id }) { edges { node { class severity } } } metrics(runId: $id) { nslabs hiwater } report(runId: $id) }',
      { id: runId },
    );

    expect(run).toMatchObject({ status: 'SUCCEEDED', progress: 1, attempts: 1 });
    expect(results.data.report.resultHash).toBe(run.resultHash);
    expect(results.data.report.summary.verdict).toBe('exposes-secrets');
    expect(results.data.violations.edges.map((e) => `${e.node.class}/${e.node.severity}`)).toContain('V1/critical');
    expect(results.data.metrics.nslabs).toBe(524288);
    expect(results.data.metrics.hiwater).toBeGreaterThan(0);
  });

  it('gives the same result hash as running the engine again on the same spec and seed', async () => {
    const { token } = await harness.newTeam();
    const first = await submit(token, 's16-snp-nvme-mixed.yaml', 3000);
    const firstRun = await waitForFinalStatus(token, first);
    const retried = await harness.gql<{ retryRun: { id: string } }>(
      token,
      'mutation($id: UUID!) { retryRun(id: $id) { id } }',
      { id: first },
    );

    const secondRun = await waitForFinalStatus(token, retried.data.retryRun.id);

    expect(secondRun.status).toBe('SUCCEEDED');
    expect(secondRun.resultHash).toBe(firstRun.resultHash);
  });

  it('writes one result set when the same job is delivered twice', async () => {
    const { token } = await harness.newTeam();
    const runId = await submit(token, 's07-tdx-tdisp-nvme-accepted.yaml', 2000);
    await waitForFinalStatus(token, runId);
    const executor = new RunExecutor(
      new RunRepository(db),
      new ScenarioRepository(db),
      engineSpecValidator,
      new ResultRepository(db),
      systemClock,
    );

    const duplicate = await executor.execute(runId, { timeLimitMs: 60_000 });
    const reports = await db.runReport.count({ where: { runId } });

    expect(duplicate).toEqual({ kind: 'skipped', reason: 'already-final' });
    expect(reports).toBe(1);
  });
});
