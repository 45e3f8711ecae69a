// npm run bench:pipeline — the run pipeline end to end: a fresh database, the API (real HTTP) and
// two run workers (one sandboxed engine thread each) in this process, sharing PostgreSQL and Redis
// with a bench-only BullMQ prefix. Each case submits N runs over GraphQL and waits until all are
// final. Prints one line per case: runs/s end to end, p50/p99 submit-to-result latency, engine ms
// per run (measured in the worker thread), overhead ms per run outside the engine (worker busy time
// per run minus engine time), and peak RSS. `--json` prints JSON lines.
// Options: --runs N (default 1000) --ops N (engine operations per run, default 200) --workers N
// (default 2) --keep-db. A second case with larger runs follows unless --runs/--ops are given.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Client } from 'pg';
import { startApi } from '../src/main/api.process';
import { engineSpecValidator } from '../src/modules/scenario/engine-spec-validator';
import { createBullmqRunQueue } from '../src/modules/run/run.queue';
import { type Config, parseConfig } from '../src/platform/config';
import { runMigrations } from '../src/platform/migrate';
import { startWorkerProcess } from '../src/main/worker.process';

const args = process.argv.slice(2);
const option = (name: string): number | undefined => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : undefined;
};
const asJson = args.includes('--json');
const keepDatabase = args.includes('--keep-db');
const workerCount = option('workers') ?? 2;
const cases: Array<{ name: string; runs: number; operations: number }> =
  option('runs') !== undefined || option('ops') !== undefined
    ? [{ name: 'pipeline', runs: option('runs') ?? 1000, operations: option('ops') ?? 200 }]
    : [
        { name: 'pipeline-small-runs', runs: 1000, operations: 200 },
        { name: 'pipeline-20k-op-runs', runs: 100, operations: 20_000 },
      ];
const adminUrl = process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const specTemplate = readFileSync(
  path.join(__dirname, '..', 'examples', 's04-hyperv-snp-confidential-storvsc.yaml'),
  'utf8',
);

async function main(): Promise<void> {
  const dbName = `dmasim_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
  const prefix = `bench-${dbName}`;
  try {
    await runMigrations({ databaseUrl, schema: 'public' });
    const config = parseConfig({
      ...process.env,
      DATABASE_URL: databaseUrl,
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: '1000000',
      BULLMQ_PREFIX: prefix,
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'silent',
    });
    const api = await startApi(config, pino({ level: 'silent' }), { specs: engineSpecValidator, port: 0 });
    const workers = await Promise.all(
      Array.from({ length: workerCount }, () => startWorkerProcess(config, pino({ level: 'silent' }))),
    );
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { bearer } = await api.services.teams.createTeam('bench');
      for (const benchCase of cases) report(await runCase(benchCase, config, api.url, bearer, db));
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await api.stop();
      await db.end();
      const queue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix });
      await queue.bullmq.obliterate({ force: true });
      await queue.close();
    }
  } finally {
    if (keepDatabase) process.stderr.write(`kept database ${dbName}\n`);
    else await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

async function runCase(
  benchCase: { name: string; runs: number; operations: number },
  config: Config,
  apiUrl: string,
  bearer: string,
  db: Client,
): Promise<Record<string, unknown>> {
  const gql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(`${apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: T; errors?: unknown };
    if (body.errors) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  const spec = specTemplate
    .replace(/operations: \d+/, `operations: ${benchCase.operations}`)
    .replace(/^name: (\S+)/m, `name: ${benchCase.name}-${randomBytes(3).toString('hex')}`);
  const created = await gql<{ createScenario: { scenario: { id: string } } }>(
    'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
    { spec },
  );
  const scenarioId = created.createScenario.scenario.id;

  let peakRssBytes = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 100);
  const started = performance.now();
  const runIds: string[] = [];
  let next = 0;
  const submitOne = async (): Promise<void> => {
    while (next < benchCase.runs) {
      next++;
      const data = await gql<{ submitRun: { run: { id: string } } }>(
        'mutation($s: UUID!) { submitRun(input: { scenarioId: $s }) { ... on RunSubmitted { run { id } } } }',
        { s: scenarioId },
      );
      runIds.push(data.submitRun.run.id);
    }
  };
  await Promise.all(Array.from({ length: 16 }, submitOne));
  for (;;) {
    const { rows } = await db.query<{ open: string }>(
      `SELECT count(*) AS open FROM run WHERE id = ANY($1::uuid[]) AND status IN ('QUEUED', 'RUNNING')`,
      [runIds],
    );
    if (Number(rows[0]?.open) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const elapsedS = (performance.now() - started) / 1000;
  clearInterval(sampler);

  const { rows } = await db.query<{ status: string; latency_ms: number; exec_ms: number }>(
    `SELECT status::text, extract(epoch FROM finished_at - created_at) * 1000 AS latency_ms, extract(epoch FROM finished_at - started_at) * 1000 AS exec_ms FROM run WHERE id = ANY($1::uuid[])`,
    [runIds],
  );
  const latencies = rows.map((r) => Number(r.latency_ms)).sort((a, b) => a - b);
  const succeeded = rows.filter((r) => r.status === 'SUCCEEDED').length;
  const queue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const completed = await queue.bullmq.getCompleted(0, benchCase.runs);
  await queue.close();
  const ids = new Set(runIds);
  const engineMs = completed
    .filter((job) => ids.has(String(job.id)))
    .map((job) => Number((job.returnvalue as { engineMs?: number } | undefined)?.engineMs ?? 0));
  const engineMsPerRun = engineMs.length > 0 ? engineMs.reduce((a, b) => a + b, 0) / engineMs.length : 0;
  const busyMsPerRun = (elapsedS * 1000 * workerCount) / benchCase.runs;
  return {
    case: benchCase.name,
    runs: benchCase.runs,
    opsPerRun: benchCase.operations,
    workers: workerCount,
    succeeded,
    runsPerSec: round(benchCase.runs / elapsedS),
    p50LatencyMs: round(percentile(latencies, 0.5)),
    p99LatencyMs: round(percentile(latencies, 0.99)),
    engineMsPerRun: round(engineMsPerRun),
    execMsPerRun: round(rows.reduce((sum, r) => sum + Number(r.exec_ms), 0) / Math.max(1, rows.length)),
    overheadMsPerRun: round(busyMsPerRun - engineMsPerRun),
    peakRssMiB: round(peakRssBytes / 2 ** 20),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

const round = (value: number): number => Math.round(value * 10) / 10;

function report(line: Record<string, unknown>): void {
  if (asJson) {
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  const { case: name, ...rest } = line;
  process.stdout.write(
    `${String(name).padEnd(22)} ${Object.entries(rest)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ')}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
