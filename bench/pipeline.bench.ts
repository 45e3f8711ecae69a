// npm run bench:pipeline — the run pipeline end to end, measured as a client. A fresh database and a
// bench-only BullMQ prefix on the configured PostgreSQL and Redis; the API (real HTTP and graphql-ws)
// runs in this process; workers are separate `dmasim worker` processes (node bin/dmasim.js worker,
// the built CLI), as in production. Prints one line per case (`--json`: JSON lines):
//
// - pipeline-latency: one worker process, idle; after untimed warm-up runs, N runs of a 200-op
//   scenario one after another. Each:
//   submitRun over GraphQL → runUpdated subscription until final → read the violations. Prints
//   submit→result p50/p99 (ms), engine ms per run (measured in the worker thread) and the overhead
//   per run outside the engine (client latency minus engine time, p50).
// - pipeline-throughput-wN for N = 1, 2, 4 worker processes (WORKER_CONCURRENCY each, default 1):
//   on a vacuumed database after an untimed warm-up of W runs per process, R runs submitted by 8
//   concurrent clients; runs/s
//   from the first submit to the last result, CPU per run of the worker processes, of the API, of
//   PostgreSQL and of Redis,
//   overhead per run (worker-process busy time per run minus engine time) and the peak summed RSS
//   of the worker processes. Then R more runs queued while the queue is paused: backlogRunsPerSec is
//   the rate at which the workers drain them once it resumes (runsPerSec is also bounded by how fast
//   the one API process, sharing the cores, accepts submissions).
// - pipeline-scaling-w2, -w4 and -w4-vs-w2 (--scaling 2,4): four warm worker processes without host
//   seats (WORKER_HOST_SEATS=0), two or all four of them taking runs (the others paused with
//   SIGUSR2), alternating for --scaling-rounds rounds: runs/s of each count and the four-to-two
//   ratio round by round, both timed phases. What the default seats prevent, measured.
// - pipeline-scaling-seated-w2, -w4 and -w4-vs-w2: the same with the default seats (the host's
//   CPUs, in the bench's own scope): the processes beyond the seats stand by, and in the rounds of
//   the smaller count they are stopped outright (SIGSTOP; SIGCONT continues them). What adding
//   processes beyond the cores costs with the shipped default. --scaling-seats 0,auto picks the
//   variants (default both).
//
// BENCH_WORKER_LOG_LEVEL=info (default silent) sets the worker processes' LOG_LEVEL; with
// --node-flags their logs reach the bench's stderr.
// The throughput cases' worker processes share the default execution seats (WORKER_HOST_SEATS=auto,
// the host's CPUs) in a scope of their own; WORKER_HOST_SEATS=N npm run bench:pipeline sets N (0:
// none). Each throughput line says hostSeats.
// Targets (issue 17; printed, never asserted): overhead < 20 ms p50, submit→result p50 < 100 ms,
// ≥ 40 runs/s with 2 workers, throughput not falling as workers are added.
// Options: --latency-runs N (default 200; 0 skips the latency case) --latency-warmup-runs N (default 200) --runs R (default 1200)
// --ops N (default 200) --workers 1,2,4 ('' = the latency case alone) --concurrency C (default 1)
// --warmup-runs W (default 8000) --scaling 2,4 ('' skips it) --scaling-rounds N (default 4) --scaling-seats 0,auto
// --client http|fetch --keep-db --cpu-prof DIR --api-cpu-prof DIR --node-flags "F1 F2".
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import http from 'node:http';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import Redis from 'ioredis';
import pino from 'pino';
import { Client } from 'pg';
import WebSocket from 'ws';
import { startApi } from '../src/main/api.process';
import { engineSpecValidator } from '../src/modules/scenario/engine-spec-validator';
import { createBullmqRunQueue } from '../src/modules/run/run.queue';
import { parseConfig } from '../src/platform/config';
import { runMigrations } from '../src/platform/migrate';
import { createBenchDatabase, printCaseLine, runBench } from './bench-support';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const asJson = args.includes('--json');
const keepDatabase = args.includes('--keep-db');
const latencyRuns = Number(option('latency-runs') ?? 200);
// 200 untimed runs first: with 2, the timed runs measured V8 compiling the path (the worker's CPU
// per run was 12-15 ms over 50 timed runs against 6-7 ms over the last 250 of 300). A deployed
// worker and API run warm; "idle" is about the queue, not the code.
const latencyWarmupRuns = Number(option('latency-warmup-runs') ?? 200);
// 1,200 runs: about 8 s of clock per case here. With 400 (3 s) the figure depended on how warm each
// process's code was: 4 processes saw a quarter of the runs each and came out 9 % behind 2, while
// with 1,200 the two were level (docs/scaling.md).
const throughputRuns = Number(option('runs') ?? 1200);
const operations = Number(option('ops') ?? 200);
// --workers '' runs the latency case alone.
const workerCounts = (option('workers') ?? '1,2,4').split(',').filter(Boolean).map(Number);
const concurrency = Number(option('concurrency') ?? 1);
// --scaling 2,4: the same warm processes, 2 then 4 of them taking runs (the rest paused), in
// alternating order for --scaling-rounds rounds ('' skips it). Cases measured minutes apart drifted
// on this machine by as much as the difference between the counts.
const scalingCounts = (option('scaling') ?? '2,4').split(',').filter(Boolean).map(Number);
const scalingRounds = Number(option('scaling-rounds') ?? 4);
// --scaling-seats 0,auto: the paired case without host seats (what executing more runs than cores
// costs) and with the default seats (what the shipped default does as processes are added).
const scalingSeatModes = (option('scaling-seats') ?? '0,auto').split(',').filter(Boolean);
for (const mode of scalingSeatModes)
  if (mode !== '0' && mode !== 'auto') throw new Error(`--scaling-seats: expected 0 or auto, got '${mode}'`);
// 8,000 per process: V8 optimizes code that runs once per run only after thousands of runs. Sampled
// with perf while four processes drained a backlog, TurboFan still took 20 % of their CPU after
// 1,500 warm-up runs each (two processes, with twice the runs each by then: 6 %); with 200 the timed
// phase was mostly warm-up, and the more so the more processes shared the runs. With 3,000-4,000
// per process, four processes still used 13-60 % more worker CPU per run than two as clients
// submitted (three runs); with 8,000, 5 % (4.0 against 3.8 ms). A deployed worker runs for days.
const warmupRunsPerProcess = Number(option('warmup-runs') ?? 8000);
// --cpu-prof DIR: worker processes (and their engine threads) write V8 CPU profiles into DIR.
const cpuProfileDir = option('cpu-prof');
// --api-cpu-prof DIR: this process (the API and its clients) writes a V8 CPU profile of each
// throughput case's timed phase into DIR (api-wN.cpuprofile), for Chrome DevTools or speedscope.
const apiCpuProfileDir = option('api-cpu-prof');
// --node-flags "F1 F2": extra Node/V8 flags for the worker processes (e.g. --trace-deopt); their
// stdout then goes to the bench's stderr.
const workerNodeFlags = (option('node-flags') ?? '').split(' ').filter(Boolean);
// --client fetch: the bench's GraphQL requests through Node's fetch instead of node:http. Measured
// here, fetch (undici) took about a fifth of the bench process's CPU in the latency case, on the
// same two cores as the service it measures (docs/pipeline.md).
const httpClient = option('client') ?? 'http';
const keptAliveAgent = new http.Agent({ keepAlive: true });
const adminUrl = process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const repoRoot = path.join(__dirname, '..');
const specTemplate = readFileSync(path.join(repoRoot, 'examples', 's04-hyperv-snp-confidential-storvsc.yaml'), 'utf8');

interface Context {
  readonly apiUrl: string;
  readonly bearer: string;
  readonly db: Client;
  readonly env: Record<string, string>;
  readonly prefix: string;
  /** WORKER_HOST_SEATS of the worker processes (0 = no host-wide limit). */
  readonly hostSeats: number;
}

async function main(): Promise<void> {
  const database = await createBenchDatabase(adminUrl);
  const { name: dbName, url: databaseUrl } = database;
  const env = {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: 'public',
    REDIS_URL: redisUrl,
    BULLMQ_PREFIX: `bench-${dbName}`,
    NODE_ENV: 'production',
    LOG_LEVEL: process.env['BENCH_WORKER_LOG_LEVEL'] ?? 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000',
    // The backlog case queues every run of a case at once (--runs may exceed the default 2,000).
    TEAM_MAX_QUEUED_RUNS: '1000000',
    WORKER_CONCURRENCY: String(concurrency),
    // With WORKER_HOST_SEATS set, the bench's worker processes share their seats among themselves only.
    WORKER_HOST_SEATS_SCOPE: `bench-${dbName}`,
  };
  const config = parseConfig({ ...process.env, ...env });
  try {
    await runMigrations({ databaseUrl, schema: 'public' });
    const api = await startApi(config, pino({ level: 'silent' }), { specs: engineSpecValidator, port: 0 });
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { bearer } = await api.services.teams.createTeam('bench');
      const context: Context = {
        apiUrl: api.url,
        bearer,
        db,
        env,
        prefix: config.bullmqPrefix,
        hostSeats: config.workerHostSeats,
      };
      // --latency-runs 0: the throughput cases alone.
      if (latencyRuns > 0) report(await latencyCase(context));
      for (const workers of workerCounts) report(await throughputCase(context, workers));
      if (scalingCounts.length >= 2)
        for (const mode of scalingSeatModes)
          for (const line of await scalingCase(context, scalingCounts, mode === 'auto')) report(line);
    } finally {
      await api.stop();
      await db.end();
      const queue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
      await queue.bullmq.obliterate({ force: true });
      await queue.close();
      // The API's other queues (regression schedules, webhooks, batches) keep keys under the prefix too.
      await deleteKeysUnder(config.redisUrl, config.bullmqPrefix);
    }
  } finally {
    await database.close(keepDatabase);
    keptAliveAgent.destroy();
  }
}

/** Deletes every Redis key under `prefix` (the bench's hash-tagged BullMQ prefix). */
async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

/**
 * A GraphQL client over node:http with kept-alive connections (`--client fetch`: Node's fetch). A
 * request that fails below HTTP (a loaded machine can drop connections) is sent again, up to 5
 * times; submits carry an idempotency key, so a retried submit never adds a run.
 */
function graphql(context: Context) {
  return async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const payload = JSON.stringify({ query, variables });
    let text: string | undefined;
    for (let attempt = 1; text === undefined; attempt++) {
      try {
        text = await (httpClient === 'fetch' ? postByFetch : postByHttp)(context, payload);
      } catch (error: unknown) {
        if (attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    const body = JSON.parse(text) as { data: T; errors?: unknown };
    if (body.errors) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
}

async function postByFetch(context: Context, payload: string): Promise<string> {
  const response = await fetch(`${context.apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${context.bearer}` },
    body: payload,
  });
  return response.text();
}

function postByHttp(context: Context, payload: string): Promise<string> {
  const url = new URL(`${context.apiUrl}/graphql`);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent: keptAliveAgent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${context.bearer}`,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve(text));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

async function createScenario(context: Context, name: string): Promise<string> {
  const spec = specTemplate
    .replace(/operations: \d+/, `operations: ${operations}`)
    .replace(/^name: (\S+)/m, `name: ${name}-${randomBytes(3).toString('hex')}`);
  const created = await graphql(context)<{ createScenario: { scenario: { id: string } } }>(
    'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
    { spec },
  );
  return created.createScenario.scenario.id;
}

const submitMutation =
  'mutation($s: UUID!, $key: String) { submitRun(input: { scenarioId: $s, idempotencyKey: $key }) { ... on RunSubmitted { run { id } } } }';

/** Starts `count` worker processes and resolves once each has printed that it runs. */
async function startWorkers(
  context: Context,
  count: number,
  extraEnv: Record<string, string> = {},
): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () =>
    spawn(
      process.execPath,
      [
        ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []),
        ...workerNodeFlags,
        path.join(repoRoot, 'bin', 'dmasim.js'),
        'worker',
      ],
      {
        env: { ...process.env, ...context.env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          let out = '';
          const onData = (chunk: Buffer): void => {
            out += chunk.toString('utf8');
            if (!out.includes('dmasim worker running')) return;
            // Ready: stop collecting (a long run with traces on would otherwise grow and rescan this
            // string on every chunk); later output still has to be read so the child never blocks.
            child.stdout?.off('data', onData);
            if (workerNodeFlags.length > 0) child.stdout?.pipe(process.stderr);
            countOutputLines(child);
            resolve();
          };
          child.stdout?.on('data', onData);
          child.once('exit', (code) => reject(new Error(`dmasim worker exited with ${String(code)} before starting`)));
        }),
    ),
  );
  return children;
}

/** How often each worker process has printed each line so far (only the lines the bench waits for). */
const printedLineCounts = new WeakMap<ChildProcess, Map<string, number>>();
const countedLines = ['dmasim worker paused', 'dmasim worker resumed'];

/** Reads a started worker's stdout from now on, counting the lines in `countedLines`. */
function countOutputLines(child: ChildProcess): void {
  const counts = new Map<string, number>();
  printedLineCounts.set(child, counts);
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (countedLines.includes(line)) counts.set(line, (counts.get(line) ?? 0) + 1);
  });
}

/**
 * Sends `signal` to a worker process and resolves once it has printed `line` once more (SIGUSR2 →
 * "dmasim worker paused", after its current runs; SIGCONT → "dmasim worker resumed").
 */
async function signalAndAwaitLine(child: ChildProcess, signal: NodeJS.Signals, line: string): Promise<void> {
  const counts = printedLineCounts.get(child);
  if (!counts) throw new Error('signalAndAwaitLine: the worker was not started by startWorkers');
  const before = counts.get(line) ?? 0;
  child.kill(signal);
  for (const deadline = Date.now() + 60_000; (counts.get(line) ?? 0) <= before;) {
    if (Date.now() > deadline) throw new Error(`worker ${String(child.pid)} did not print '${line}' within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** Samples the summed RSS of `workers` every 100 ms until stop(); peakBytes() is the highest seen. */
function samplePeakRss(workers: readonly ChildProcess[]): { stop(): void; peakBytes(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(
      peak,
      workers.reduce((sum, child) => sum + rssBytes(child.pid), 0),
    );
  }, 100);
  return { stop: () => clearInterval(timer), peakBytes: () => peak };
}

/** CPU milliseconds (user + system) a process has used so far, from /proc; 0 when it is gone. */
function cpuMsOf(pid: number | undefined): number {
  const times = cpuTimesOf(pid);
  return times.userMs + times.systemMs;
}
const clockTicksPerSecond = 100;

/** User and kernel CPU milliseconds a process has used so far, from /proc (zeros when it is gone). */
function cpuTimesOf(pid: number | undefined): { userMs: number; systemMs: number } {
  if (pid === undefined) return { userMs: 0, systemMs: 0 };
  try {
    // Fields after the command name (which may contain spaces): utime is the 12th, stime the 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return {
      userMs: (Number(fields[11]) * 1000) / clockTicksPerSecond,
      systemMs: (Number(fields[12]) * 1000) / clockTicksPerSecond,
    };
  } catch {
    return { userMs: 0, systemMs: 0 };
  }
}

/** What a worker process has cost the machine so far beyond its CPU time, summed over its threads. */
interface SchedulingCounts {
  /** Kernel-side CPU milliseconds (stime). */
  readonly systemMs: number;
  /** Context switches: the thread blocked (voluntary) or was preempted (involuntary). */
  readonly voluntarySwitches: number;
  readonly involuntarySwitches: number;
}

const noSchedulingCounts: SchedulingCounts = { systemMs: 0, voluntarySwitches: 0, involuntarySwitches: 0 };

/** SchedulingCounts of one process from /proc (zeros when it is gone). */
function schedulingCountsOf(pid: number | undefined): SchedulingCounts {
  const counts = { ...noSchedulingCounts, systemMs: cpuTimesOf(pid).systemMs };
  if (pid === undefined) return counts;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      counts.voluntarySwitches += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      counts.involuntarySwitches += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    }
  } catch {
    // gone meanwhile
  }
  return counts;
}

/** SchedulingCounts summed over `children`. */
function schedulingCountsOfAll(children: readonly ChildProcess[]): SchedulingCounts {
  return children
    .map((child) => schedulingCountsOf(child.pid))
    .reduce(
      (sum, c) => ({
        systemMs: sum.systemMs + c.systemMs,
        voluntarySwitches: sum.voluntarySwitches + c.voluntarySwitches,
        involuntarySwitches: sum.involuntarySwitches + c.involuntarySwitches,
      }),
      noSchedulingCounts,
    );
}

/** Per-run differences between two SchedulingCounts, rounded for the report. */
function schedulingPerRun(before: SchedulingCounts, after: SchedulingCounts, runs: number) {
  const per = (value: number): number => round(value / Math.max(1, runs));
  return {
    systemMsPerRun: per(after.systemMs - before.systemMs),
    voluntarySwitchesPerRun: per(after.voluntarySwitches - before.voluntarySwitches),
    involuntarySwitchesPerRun: per(after.involuntarySwitches - before.involuntarySwitches),
  };
}

/**
 * CPU milliseconds used so far by each process whose command name is `comm` (the PostgreSQL
 * backends, or the Redis server), by pid: where the pipeline's database and queue time goes.
 * Empty when /proc cannot be read.
 */
function cpuMsByPidOf(comm: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) byPid.set(Number(entry), cpuMsOf(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return byPid;
}

/**
 * CPU milliseconds the processes of `after` used since `before`: a process that started in between
 * counts from its start; one that exited in between is missing from `after` and not counted (a
 * lower bound, but never negative, as a sum over both sides would be when a backend exits).
 */
function cpuMsSince(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += Math.max(0, ms - (before.get(pid) ?? 0));
  return total;
}

function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kib ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Pauses the run queue, lets `submit` queue its runs (untimed), resumes the queue and returns the
 * seconds until no run is QUEUED or RUNNING (the workers' own rate with a full queue), with the
 * `snapshot` taken at the resume and at the end.
 */
async function drainBacklog<T>(
  context: Context,
  submit: () => Promise<void>,
  /** Called when the queue resumes and again once it is drained (CPU snapshots). */
  snapshot: () => T,
): Promise<{ seconds: number; atResume: T; atDrained: T }> {
  const queue = createBullmqRunQueue({ redisUrl, prefix: context.prefix });
  try {
    await queue.bullmq.pause();
    let submitted = false;
    const submitting = submit().then(() => {
      submitted = true;
    });
    // submit() drains too: resume once every run is queued (none can start while paused).
    for (;;) {
      const { rows } = await context.db.query<{ queued: string }>(
        `SELECT count(*) AS queued FROM run WHERE status = 'QUEUED'`,
      );
      if (Number(rows[0]?.queued) >= throughputRuns) break;
      if (submitted) throw new Error('backlog: submissions ended before all runs were queued');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const atResume = snapshot();
    const resumedAt = performance.now();
    await queue.bullmq.resume();
    await submitting;
    const seconds = (performance.now() - resumedAt) / 1000;
    return { seconds, atResume, atDrained: snapshot() };
  } finally {
    await queue.bullmq.resume();
    await queue.close();
  }
}

/** Starts a V8 CPU profile of this process, written to DIR/name by stop(); with no DIR, does nothing. */
async function profileThisProcess(dir: string | undefined, name: string): Promise<{ stop(): Promise<void> }> {
  if (!dir) return { stop: async () => {} };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, name), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Engine milliseconds per run, as the worker thread measured them (the job's return value). */
async function engineMsOf(context: Context, runIds: readonly string[]): Promise<Map<string, number>> {
  const queue = createBullmqRunQueue({ redisUrl, prefix: context.prefix });
  try {
    const jobs = await Promise.all(runIds.map((id) => queue.bullmq.getJob(id)));
    return new Map(
      jobs.flatMap((job) =>
        job ? [[String(job.id), Number((job.returnvalue as { engineMs?: number } | null)?.engineMs ?? 0)]] : [],
      ),
    );
  } finally {
    await queue.close();
  }
}

async function latencyCase(context: Context): Promise<Record<string, unknown>> {
  const gql = graphql(context);
  const scenarioId = await createScenario(context, 'latency');
  const workers = await startWorkers(context, 1);
  const ws = createClient({
    url: `${context.apiUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${context.bearer}` },
  });
  const latencies: Array<{ runId: string; ms: number }> = [];
  // Where a run's latency goes: the submitRun round trip, submit until the final runUpdated event,
  // and the violations read.
  const phases = { submit: [] as number[], wait: [] as number[], read: [] as number[] };
  let cpuMs = { apiAndClient: 0, worker: 0, postgres: 0, redis: 0 };
  try {
    // Untimed warm-up runs: the worker's thread, plans, the scenario version, V8's optimized code.
    let before = {
      api: process.cpuUsage(),
      worker: 0,
      postgres: new Map<number, number>(),
      redis: new Map<number, number>(),
    };
    for (let i = 0; i < latencyRuns + latencyWarmupRuns; i++) {
      if (i === latencyWarmupRuns)
        before = {
          api: process.cpuUsage(),
          worker: cpuMsOf(workers[0]?.pid),
          postgres: cpuMsByPidOf('postgres'),
          redis: cpuMsByPidOf('redis-server'),
        };
      const started = performance.now();
      const submitted = await gql<{ submitRun: { run: { id: string } } }>(submitMutation, {
        s: scenarioId,
        key: `${scenarioId}-${i}`,
      });
      const runId = submitted.submitRun.run.id;
      const submittedAt = performance.now();
      await waitFinal(ws, runId);
      const finalAt = performance.now();
      const violations = await gql<{ violations: { totalCount: number } }>(
        'query($id: UUID!) { violations(filter: { runId: $id }, first: 100) { totalCount edges { node { fingerprint severity } } } }',
        { id: runId },
      );
      if (violations.violations.totalCount < 0) throw new Error('unreachable');
      const readAt = performance.now();
      if (i >= latencyWarmupRuns) {
        latencies.push({ runId, ms: readAt - started });
        phases.submit.push(submittedAt - started);
        phases.wait.push(finalAt - submittedAt);
        phases.read.push(readAt - finalAt);
      }
    }
    const api = process.cpuUsage(before.api);
    cpuMs = {
      apiAndClient: (api.user + api.system) / 1000,
      worker: cpuMsOf(workers[0]?.pid) - before.worker,
      postgres: cpuMsSince(before.postgres, cpuMsByPidOf('postgres')),
      redis: cpuMsSince(before.redis, cpuMsByPidOf('redis-server')),
    };
  } finally {
    await ws.dispose();
    await stopWorkers(workers);
  }
  const engineMs = await engineMsOf(
    context,
    latencies.map((l) => l.runId),
  );
  const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
  const overhead = latencies.map((l) => l.ms - (engineMs.get(l.runId) ?? 0)).sort((a, b) => a - b);
  const engine = [...engineMs.values()].sort((a, b) => a - b);
  return {
    case: 'pipeline-latency',
    runs: latencies.length,
    warmupRuns: latencyWarmupRuns,
    opsPerRun: operations,
    workers: 1,
    p50SubmitToResultMs: round(percentile(sorted, 0.5)),
    p99SubmitToResultMs: round(percentile(sorted, 0.99)),
    engineMsPerRunP50: round(percentile(engine, 0.5)),
    overheadMsPerRunP50: round(percentile(overhead, 0.5)),
    submitMsP50: round(
      percentile(
        phases.submit.sort((a, b) => a - b),
        0.5,
      ),
    ),
    submitToFinalEventMsP50: round(
      percentile(
        phases.wait.sort((a, b) => a - b),
        0.5,
      ),
    ),
    readViolationsMsP50: round(
      percentile(
        phases.read.sort((a, b) => a - b),
        0.5,
      ),
    ),
    // CPU per run while the runs went through one by one: this process (the API and the client),
    // the worker process (with its engine thread), PostgreSQL (all backends) and Redis.
    apiAndClientCpuMsPerRun: round(cpuMs.apiAndClient / Math.max(1, latencies.length)),
    workerCpuMsPerRun: round(cpuMs.worker / Math.max(1, latencies.length)),
    postgresCpuMsPerRun: round(cpuMs.postgres / Math.max(1, latencies.length)),
    redisCpuMsPerRun: round(cpuMs.redis / Math.max(1, latencies.length)),
    targets: 'p50 submit→result < 100 ms; overhead p50 < 20 ms',
  };
}

/** Resolves when the runUpdated subscription reports a final status. */
function waitFinal(ws: ReturnType<typeof createClient>, runId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const unsubscribe = ws.subscribe<{ runUpdated: { status: string } }>(
      { query: 'subscription($id: UUID!) { runUpdated(runId: $id) { status } }', variables: { id: runId } },
      {
        next: (value) => {
          const status = value.data?.runUpdated.status;
          if (status && !['QUEUED', 'RUNNING'].includes(status) && !done) {
            done = true;
            unsubscribe();
            if (status === 'SUCCEEDED') resolve();
            else reject(new Error(`run ${runId} ended ${status}`));
          }
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => {
          if (!done) reject(new Error(`subscription for ${runId} completed without a final status`));
        },
      },
    );
  });
}

/** Submits `count` runs from 8 concurrent clients, then waits until none of them is QUEUED or RUNNING. */
async function submitRunsAndDrain(
  context: Context,
  scenarioId: string,
  count: number,
  keyPrefix: string,
  into: string[],
): Promise<void> {
  const gql = graphql(context);
  let next = 0;
  const submitOne = async (): Promise<void> => {
    while (next < count) {
      const key = `${scenarioId}-${keyPrefix}${next++}`;
      const data = await gql<{ submitRun: { run: { id: string } } }>(submitMutation, { s: scenarioId, key });
      into.push(data.submitRun.run.id);
    }
  };
  await Promise.all(Array.from({ length: 8 }, submitOne));
  for (;;) {
    // Every run in flight in the bench's own database is one of these (earlier cases have ended),
    // and the partial index on in-flight runs answers this from a few entries: a poll that looked
    // up every submitted id (1,200 of them, 50 times a second) cost PostgreSQL more CPU than a run.
    const { rows } = await context.db.query<{ open: string }>(
      `SELECT count(*) AS open FROM run WHERE status IN ('QUEUED', 'RUNNING')`,
    );
    if (Number(rows[0]?.open) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function throughputCase(context: Context, workerCount: number): Promise<Record<string, unknown>> {
  const scenarioId = await createScenario(context, `throughput-w${workerCount}`);
  const workers = await startWorkers(context, workerCount);
  const peakRss = samplePeakRss(workers);
  const runIds: string[] = [];
  let elapsedS = 0;
  let workerCpuMs = 0;
  let apiCpuMs = 0;
  let apiHeapUsedBytes = 0;
  let postgresCpuMs = 0;
  let redisCpuMs = 0;
  let backlogElapsedS = 0;
  let backlogWorkerCpuMs = 0;
  let backlogPostgresCpuMs = 0;
  let scheduling = schedulingPerRun(noSchedulingCounts, noSchedulingCounts, 1);
  let backlogScheduling = scheduling;
  const submitAndDrain = (count: number, keyPrefix: string, into: string[]): Promise<void> =>
    submitRunsAndDrain(context, scenarioId, count, keyPrefix, into);
  try {
    // Untimed warm-up, W runs per worker process: every process's engine threads, JIT and
    // connections are warm before the clock starts, so the figure is steady-state throughput rather
    // than start-up spread over fewer runs per process as processes are added.
    await submitAndDrain(warmupRunsPerProcess * workerCount, 'warm-', []);
    await vacuum(context);
    const apiCpuBefore = process.cpuUsage();
    const started = performance.now();
    const workerCpuBefore = workers.reduce((sum, child) => sum + cpuMsOf(child.pid), 0);
    const schedulingBefore = schedulingCountsOfAll(workers);
    const postgresCpuBefore = cpuMsByPidOf('postgres');
    const redisCpuBefore = cpuMsByPidOf('redis-server');
    const profile = await profileThisProcess(apiCpuProfileDir, `api-w${workerCount}.cpuprofile`);
    await submitAndDrain(throughputRuns, '', runIds);
    elapsedS = (performance.now() - started) / 1000;
    workerCpuMs = workers.reduce((sum, child) => sum + cpuMsOf(child.pid), 0) - workerCpuBefore;
    scheduling = schedulingPerRun(schedulingBefore, schedulingCountsOfAll(workers), throughputRuns);
    postgresCpuMs = cpuMsSince(postgresCpuBefore, cpuMsByPidOf('postgres'));
    redisCpuMs = cpuMsSince(redisCpuBefore, cpuMsByPidOf('redis-server'));
    const apiCpu = process.cpuUsage(apiCpuBefore);
    apiCpuMs = (apiCpu.user + apiCpu.system) / 1000;
    apiHeapUsedBytes = process.memoryUsage().heapUsed;
    // Written after every figure of the timed phase is taken: writing the profile is not timed.
    await profile.stop();
    await vacuum(context);
    const backlog = await drainBacklog(
      context,
      () => submitAndDrain(throughputRuns, 'backlog-', []),
      () => ({
        worker: workers.reduce((sum, child) => sum + cpuMsOf(child.pid), 0),
        postgres: cpuMsByPidOf('postgres'),
        scheduling: schedulingCountsOfAll(workers),
      }),
    );
    backlogScheduling = schedulingPerRun(backlog.atResume.scheduling, backlog.atDrained.scheduling, throughputRuns);
    backlogElapsedS = backlog.seconds;
    backlogWorkerCpuMs = backlog.atDrained.worker - backlog.atResume.worker;
    backlogPostgresCpuMs = cpuMsSince(backlog.atResume.postgres, backlog.atDrained.postgres);
  } finally {
    peakRss.stop();
    await stopWorkers(workers);
  }
  const { rows } = await context.db.query<{ succeeded: string }>(
    `SELECT count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded FROM run WHERE id = ANY($1::uuid[])`,
    [runIds],
  );
  const engineMs = [...(await engineMsOf(context, runIds)).values()];
  const engineMsPerRun = engineMs.reduce((a, b) => a + b, 0) / Math.max(1, engineMs.length);
  // Runs that can execute at once: the processes' concurrency, bounded by the host's seats.
  const { hostSeats } = context;
  const executingSlots = Math.min(workerCount * concurrency, hostSeats === 0 ? Infinity : hostSeats);
  const busyMsPerRun = (elapsedS * 1000 * executingSlots) / throughputRuns;
  return {
    case: `pipeline-throughput-w${workerCount}`,
    runs: throughputRuns,
    opsPerRun: operations,
    workerProcesses: workerCount,
    concurrencyPerProcess: concurrency,
    // WORKER_HOST_SEATS: runs that execute at once across the processes (0 = no host-wide limit).
    hostSeats,
    succeeded: Number(rows[0]?.succeeded ?? 0),
    runsPerSec: round(throughputRuns / elapsedS),
    engineMsPerRun: round(engineMsPerRun),
    overheadMsPerRun: round(busyMsPerRun - engineMsPerRun),
    // CPU per run: the worker processes (with their engine threads), and this process (API and clients).
    workerCpuMsPerRun: round(workerCpuMs / throughputRuns),
    apiCpuMsPerRun: round(apiCpuMs / throughputRuns),
    // The bench process's JS heap after the timed runs (the API and clients): grows across cases
    // only if something is kept per run.
    apiHeapUsedMiB: round(apiHeapUsedBytes / 2 ** 20),
    // PostgreSQL (all backends) and Redis CPU per run over the same window (the machine's shared servers).
    postgresCpuMsPerRun: round(postgresCpuMs / throughputRuns),
    redisCpuMsPerRun: round(redisCpuMs / throughputRuns),
    peakWorkerRssMiB: round(peakRss.peakBytes() / 2 ** 20),
    // Of the worker processes' CPU, the kernel's part, and how often their threads were switched out
    // per run: what more processes than cores cost beyond the work itself.
    workerSystemCpuMsPerRun: scheduling.systemMsPerRun,
    workerVoluntarySwitchesPerRun: scheduling.voluntarySwitchesPerRun,
    workerInvoluntarySwitchesPerRun: scheduling.involuntarySwitchesPerRun,
    // The same number of runs again, all queued before the workers may take any: what the worker
    // processes do when the queue is never empty (runsPerSec above is also bounded by how fast the
    // one API process accepts submissions while it shares the cores with the workers).
    backlogRunsPerSec: round(throughputRuns / backlogElapsedS),
    backlogWorkerCpuMsPerRun: round(backlogWorkerCpuMs / throughputRuns),
    backlogPostgresCpuMsPerRun: round(backlogPostgresCpuMs / throughputRuns),
    backlogWorkerSystemCpuMsPerRun: backlogScheduling.systemMsPerRun,
    backlogWorkerVoluntarySwitchesPerRun: backlogScheduling.voluntarySwitchesPerRun,
    backlogWorkerInvoluntarySwitchesPerRun: backlogScheduling.involuntarySwitchesPerRun,
    // With seats (the default: the host's CPUs) processes beyond them stand by, so runs/s should
    // not fall from w2 to w4; these cases run minutes apart, and two identical ones in one bench
    // differed by 18 % (docs/scaling.md). pipeline-scaling measures the same processes without seats.
    targets: '>= 40 runs/s with 2 workers; not falling as workers are added',
  };
}

/**
 * pipeline-scaling: whether runs/s falls as worker processes are added on one host, measured on the
 * same warm processes so that the machine's drift between cases does not decide it. Starts the
 * largest count of `counts`, warms every process (W runs each), then for each of `rounds` rounds
 * times each count in turn (the order reversed every other round): the processes beyond the count
 * are taken out, then a vacuum, R runs submitted by 8 clients and R runs drained from a backlog, as
 * in the throughput case. Prints one line per count (runs/s min / median / max over the rounds, and
 * by round) and one line with the ratio of the largest count's runs/s to the smallest's, round by
 * round (each pair measured a few seconds apart).
 *
 * Without seats (`seated` false) every process executes, and those beyond the count are paused
 * (SIGUSR2: they take no runs; SIGCONT resumes them). With the default seats, the processes that
 * took no warm-up runs are the standby ones; those beyond the count are stopped outright (SIGSTOP:
 * no reconciler passes, no Redis or PostgreSQL traffic; SIGCONT continues them), so the smaller
 * count is the host as if they had never started.
 */
async function scalingCase(
  context: Context,
  counts: readonly number[],
  seated: boolean,
): Promise<Array<Record<string, unknown>>> {
  const processCount = Math.max(...counts);
  const fewest = Math.min(...counts);
  const variant = seated ? 'pipeline-scaling-seated' : 'pipeline-scaling';
  const hostSeats = seated ? context.hostSeats : 0;
  if (seated && (hostSeats === 0 || hostSeats > fewest * concurrency))
    // Stopping a process that holds seats would stop runs in flight; this variant needs standby
    // processes to take out.
    return [
      {
        case: variant,
        skipped: `needs host seats from 1 to ${fewest * concurrency} (the fewest processes' concurrency); the bench has ${hostSeats}`,
      },
    ];
  const scenarioId = await createScenario(context, `${variant}-${counts.join('-')}`);
  // Without seats all the processes may execute at once: the contention the default seats prevent
  // (and a paused process would keep its seats, leaving the unpaused ones fewer).
  const workers = await startWorkers(context, processCount, seated ? {} : { WORKER_HOST_SEATS: '0' });
  const takenOut = new Set<ChildProcess>();
  const runsPerSec = new Map<number, number[]>(counts.map((count) => [count, []]));
  const backlogRunsPerSec = new Map<number, number[]>(counts.map((count) => [count, []]));
  const cpuPerRun = new Map<number, CpuPerRun[]>(counts.map((count) => [count, []]));
  const backlogCpuPerRun = new Map<number, CpuPerRun[]>(counts.map((count) => [count, []]));
  const submitAndDrain = (count: number, keyPrefix: string): Promise<void> =>
    submitRunsAndDrain(context, scenarioId, count, keyPrefix, []);
  const peakRss = samplePeakRss(workers);
  let warmupCpuMsByProcess: number[] = [];
  try {
    const startedCpuMs = workers.map((child) => cpuMsOf(child.pid));
    await submitAndDrain(warmupRunsPerProcess * processCount, 'warm-');
    // Seated processes first, by the CPU they spent on the warm-up (standby ones spent next to none).
    warmupCpuMsByProcess = workers.map((child, index) => Math.round(cpuMsOf(child.pid) - startedCpuMs[index]!));
    const order = workers.map((child, index) => ({ child, cpuMs: warmupCpuMsByProcess[index]! }));
    if (seated) order.sort((a, b) => b.cpuMs - a.cpuMs);
    const ranked = order.map(({ child }) => child);
    // The processes that executed: those with at least a quarter of the busiest one's warm-up CPU.
    const executingCount = order.filter(({ cpuMs }) => cpuMs * 4 >= order[0]!.cpuMs).length;
    if (seated && executingCount > fewest)
      throw new Error(
        `${variant}: ${executingCount} processes executed during the warm-up, more than the fewest count (${fewest}); warm-up CPU ms by process: ${warmupCpuMsByProcess.join(', ')}`,
      );
    const takeOut = async (child: ChildProcess): Promise<void> => {
      if (seated) child.kill('SIGSTOP');
      else await signalAndAwaitLine(child, 'SIGUSR2', 'dmasim worker paused');
    };
    const bringBack = async (child: ChildProcess): Promise<void> => {
      if (seated) child.kill('SIGCONT');
      else await signalAndAwaitLine(child, 'SIGCONT', 'dmasim worker resumed');
    };
    for (let roundIndex = 0; roundIndex < scalingRounds; roundIndex += 1) {
      const countOrder = roundIndex % 2 === 0 ? counts : [...counts].reverse();
      for (const count of countOrder) {
        for (const [index, child] of ranked.entries()) {
          if (index < count && takenOut.has(child)) {
            await bringBack(child);
            takenOut.delete(child);
          } else if (index >= count && !takenOut.has(child)) {
            await takeOut(child);
            takenOut.add(child);
          }
        }
        await vacuum(context);
        const before = cpuSnapshot(workers);
        const started = performance.now();
        await submitAndDrain(throughputRuns, `${variant}-r${roundIndex}-w${count}-`);
        runsPerSec.get(count)!.push(round(throughputRuns / ((performance.now() - started) / 1000)));
        cpuPerRun.get(count)!.push(cpuPerRunSince(before, cpuSnapshot(workers), throughputRuns));
        await vacuum(context);
        const backlog = await drainBacklog(
          context,
          () => submitAndDrain(throughputRuns, `${variant}-r${roundIndex}-w${count}-backlog-`),
          () => cpuSnapshot(workers),
        );
        backlogRunsPerSec.get(count)!.push(round(throughputRuns / backlog.seconds));
        backlogCpuPerRun.get(count)!.push(cpuPerRunSince(backlog.atResume, backlog.atDrained, throughputRuns));
      }
    }
  } finally {
    peakRss.stop();
    // A stopped process cannot act on SIGTERM until it is continued.
    for (const child of takenOut) if (seated) child.kill('SIGCONT');
    await stopWorkers(workers);
  }
  const lines: Array<Record<string, unknown>> = counts.map((count) => ({
    case: `${variant}-w${count}`,
    runs: throughputRuns,
    opsPerRun: operations,
    rounds: scalingRounds,
    workerProcesses: count,
    // Without seats the others are paused; with seats they are stopped (SIGSTOP).
    processesTakenOut: processCount - count,
    concurrencyPerProcess: concurrency,
    hostSeats,
    runsPerSec: spread(runsPerSec.get(count)!),
    runsPerSecByRound: runsPerSec.get(count),
    backlogRunsPerSec: spread(backlogRunsPerSec.get(count)!),
    backlogRunsPerSecByRound: backlogRunsPerSec.get(count),
    // CPU ms per run (medians over the rounds) of the worker processes (those taken out included),
    // this process (the API and its clients) and PostgreSQL: what each party paid at this count.
    cpuMsPerRun: medianCpuPerRun(cpuPerRun.get(count)!),
    backlogCpuMsPerRun: medianCpuPerRun(backlogCpuPerRun.get(count)!),
    peakWorkerRssMiB: round(peakRss.peakBytes() / 2 ** 20),
    // With seats: which processes executed (the warm-up's CPU by process, seated ones far ahead).
    warmupCpuMsByProcess,
  }));
  const ratios = (byCount: Map<number, number[]>): number[] =>
    byCount.get(processCount)!.map((value, index) => Math.round((value / byCount.get(fewest)![index]!) * 100) / 100);
  lines.push({
    case: `${variant}-w${processCount}-vs-w${fewest}`,
    rounds: scalingRounds,
    hostSeats,
    ratioByRound: ratios(runsPerSec),
    ratio: spread(ratios(runsPerSec)),
    backlogRatioByRound: ratios(backlogRunsPerSec),
    backlogRatio: spread(ratios(backlogRunsPerSec)),
    targets: `not falling as workers are added: ratio of w${processCount} to w${fewest} runs/s >= 1`,
  });
  return lines;
}

/** Min, median (mean of the middle two for an even count) and max of `values`; zeros for none. */
function spread(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? sorted[Math.floor(middle)]!
      : Math.round(((sorted[middle - 1]! + sorted[middle]!) / 2) * 100) / 100;
  return { min: sorted[0] ?? 0, median: sorted.length === 0 ? 0 : median, max: sorted[sorted.length - 1] ?? 0 };
}

/** CPU used so far by the worker processes, this process (the API and its clients) and PostgreSQL. */
interface CpuSnapshot {
  readonly workerMs: number;
  readonly apiMs: number;
  readonly postgres: ReadonlyMap<number, number>;
}

interface CpuPerRun {
  readonly worker: number;
  readonly api: number;
  readonly postgres: number;
}

function cpuSnapshot(workers: readonly ChildProcess[]): CpuSnapshot {
  const api = process.cpuUsage();
  return {
    workerMs: workers.reduce((sum, child) => sum + cpuMsOf(child.pid), 0),
    apiMs: (api.user + api.system) / 1000,
    postgres: cpuMsByPidOf('postgres'),
  };
}

function cpuPerRunSince(before: CpuSnapshot, after: CpuSnapshot, runs: number): CpuPerRun {
  return {
    worker: (after.workerMs - before.workerMs) / runs,
    api: (after.apiMs - before.apiMs) / runs,
    postgres: cpuMsSince(before.postgres, after.postgres) / runs,
  };
}

function medianCpuPerRun(values: readonly CpuPerRun[]): CpuPerRun {
  const median = (of: (value: CpuPerRun) => number): number => round(spread(values.map(of)).median);
  return { worker: median((v) => v.worker), api: median((v) => v.api), postgres: median((v) => v.postgres) };
}

/**
 * Before each timed phase: this machine's PostgreSQL runs without autovacuum, and every run leaves
 * dead row versions (three per run, and the rollup rows it moves); without this each phase would
 * walk past those of every phase before it (4 × 4,000 warm-up runs for four processes), which a
 * deployed server's autovacuum keeps trimmed.
 */
async function vacuum(context: Context): Promise<void> {
  await context.db.query('VACUUM (ANALYZE)');
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

const round = (value: number): number => Math.round(value * 10) / 10;

function report(line: Record<string, unknown>): void {
  printCaseLine(line, asJson);
}

runBench(main);
