import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { minimalSpecYaml } from '../../support/spec-fixtures';
import { createEmptyDatabase, dropDatabase, migrateWithCli, randomDatabaseName } from '../../support/test-database';

// PostgreSQL connection budget: 4 `dmasim worker` processes with WORKER_CONCURRENCY=2 and
// DATABASE_POOL_SIZE_WORKER=1 may hold at most 4 × (1 + 2) = 12 connections (each process's own
// pool plus one per engine thread; docs/scaling.md). The workers connect with their own
// application_name, so pg_stat_activity counts them apart from the API and this test; the count is
// sampled while 40 runs go through, and its peak must stay within the budget.

const repoRoot = path.join(__dirname, '..', '..', '..');
const processes = 4;
const concurrency = 2;
const poolSize = 1;
const budget = processes * (poolSize + concurrency);

describe('PostgreSQL connection budget of worker processes', () => {
  const name = randomDatabaseName('dmasim_budget');
  let databaseUrl = '';
  let harness: ApiHarness | undefined;
  let observer: Client | undefined;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    databaseUrl = await createEmptyDatabase(name);
    await migrateWithCli(databaseUrl);
    harness = await startApiHarness({ DATABASE_URL: databaseUrl });
    observer = new Client({ connectionString: databaseUrl });
    await observer.connect();
    const workerUrl = new URL(databaseUrl);
    workerUrl.searchParams.set('application_name', 'budget-worker');
    for (let i = 0; i < processes; i++) {
      workers.push(
        spawn(process.execPath, [path.join(repoRoot, 'bin', 'dmasim.js'), 'worker'], {
          env: {
            ...process.env,
            DATABASE_URL: workerUrl.toString(),
            WORKER_CONCURRENCY: String(concurrency),
            DATABASE_POOL_SIZE_WORKER: String(poolSize),
            // The budget is for every process executing at once; with the default seats (the
            // host's CPUs) the processes beyond them would only stand by.
            WORKER_HOST_SEATS: '0',
            LOG_LEVEL: 'silent',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      );
    }
    await Promise.all(
      workers.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            let out = '';
            child.stdout?.on('data', (chunk: Buffer) => {
              out += chunk.toString('utf8');
              if (out.includes('dmasim worker running')) resolve();
            });
            child.once('exit', (code) => reject(new Error(`dmasim worker exited with ${String(code)}`)));
          }),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      workers.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await observer?.end();
    await harness?.stop();
    await dropDatabase(name);
  });

  it(`stays within ${budget} connections while 40 runs go through`, async () => {
    const api = harness!;
    const { token } = await api.newTeam('budget');
    const created = await api.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec: minimalSpecYaml({ name: 'budget' }) },
    );
    const scenarioId = created.data.createScenario.scenario.id;
    const runIds: string[] = [];
    for (let i = 0; i < 40; i++) {
      const submitted = await api.gql<{ submitRun: { run: { id: string } } }>(
        token,
        'mutation($s: UUID!, $seed: BigInt) { submitRun(input: { scenarioId: $s, overrides: { seed: $seed } }) { ... on RunSubmitted { run { id } } } }',
        { s: scenarioId, seed: String(i + 1) },
      );
      runIds.push(submitted.data.submitRun.run.id);
    }

    let peak = 0;
    const deadline = Date.now() + 180_000;
    for (;;) {
      const { rows } = await observer!.query<{ connections: number; open: number }>(
        `SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE datname = $1 AND application_name = 'budget-worker') AS connections,
                (SELECT count(*)::int FROM run WHERE id = ANY($2::uuid[]) AND status IN ('QUEUED', 'RUNNING')) AS open`,
        [name, runIds],
      );
      peak = Math.max(peak, rows[0]!.connections);
      if (rows[0]!.open === 0) break;
      if (Date.now() > deadline) throw new Error(`runs still open: ${rows[0]!.open}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    const { rows } = await observer!.query<{ status: string; n: number }>(
      'SELECT status::text, count(*)::int AS n FROM run WHERE id = ANY($1::uuid[]) GROUP BY 1',
      [runIds],
    );
    expect(rows).toEqual([{ status: 'SUCCEEDED', n: 40 }]);
    // Every process connected (its threads ran runs), and none went past its share.
    expect(peak).toBeGreaterThanOrEqual(processes);
    expect(peak).toBeLessThanOrEqual(budget);
  }, 240_000);
});
