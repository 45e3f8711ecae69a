import { Queue } from 'bullmq';
import pino from 'pino';
import { createRedisRateLimiter } from '../../../src/api/rate-limit';
import { RegressionQueueName, sweepSchedulerId } from '../../../src/modules/regression/regression.queue';
import { createDatabase, type Database } from '../../../src/platform/db';
import { createRedis } from '../../../src/platform/redis';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { missingFaultBinaries, type PrivateRedis, startPrivateRedis } from '../../support/private-services';
import { createScenario, exampleSpec, getRun, isFinal, type RunView, submitRun, waitForRun } from './pipeline-support';
import { eventually, killWorker, type SpawnedWorker, spawnWorker } from './worker-processes';

// Redis loss while runs execute: a private redis-server (no persistence) is SIGKILLed under a
// `dmasim worker` process and started again empty. PostgreSQL holds the truth: every run must end
// SUCCEEDED exactly once, reads and submissions must keep working during the outage, and the
// regression schedulers must come back without restarting the worker.
const skip = missingFaultBinaries({ redis: true });
if (skip) console.warn(skip);
const describeFault = skip ? describe.skip : describe;

describeFault('Redis killed and restarted empty', () => {
  let redis: PrivateRedis;
  let harness: ApiHarness;
  let db: Database;
  let worker: SpawnedWorker | undefined;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    harness = await startApiHarness({ REDIS_URL: redis.url });
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  }, 60_000);

  afterEach(async () => {
    if (worker) await killWorker(worker);
    worker = undefined;
    await redis.start().catch(() => undefined); // a test that failed half-way may leave it down
  });

  afterAll(async () => {
    await harness.stop();
    await db.$disconnect();
    await redis.destroy();
  });

  it('finishes 20 of 20 runs exactly once when Redis is SIGKILLed mid-run and comes back empty', async () => {
    worker = await spawnWorker({ REDIS_URL: redis.url, WORKER_CONCURRENCY: '2' });
    const { token } = await harness.newTeam();
    const scenarioId = await createScenario(
      harness,
      token,
      exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 300_000),
    );
    const runIds: string[] = [];
    for (let i = 0; i < 20; i++) runIds.push(await submitRun(harness, token, { scenarioId }));
    // Mid-run: the worker is executing (a run has progress) and most runs are still waiting.
    await eventually('a run executing', async () => {
      const runs = await db.run.findMany({ where: { id: { in: runIds }, status: 'RUNNING', progress: { gt: 0 } } });
      return runs.length > 0 ? runs : undefined;
    });

    const killedAt = Date.now();
    await redis.kill();
    const statusesAtKill = await db.run.groupBy({ by: ['status'], where: { id: { in: runIds } }, _count: true });
    await redis.start();
    const restartedAt = Date.now();
    const finished: RunView[] = await Promise.all(
      runIds.map((runId) => waitForRun(harness, token, runId, isFinal, 300_000)),
    );
    const doneAt = Date.now();
    console.log(
      `redis-loss: runs at kill ${JSON.stringify(statusesAtKill.map((g) => `${g.status}=${g._count}`))}; ` +
        `outage ${restartedAt - killedAt} ms; all 20 final ${doneAt - restartedAt} ms after the restart`,
    );

    expect(finished.map((run) => run.status)).toEqual(runIds.map(() => 'SUCCEEDED'));
    expect(await db.runReport.count({ where: { runId: { in: runIds } } })).toBe(20);
    expect(await db.allocatorMetrics.count({ where: { runId: { in: runIds } } })).toBe(20);
    expect(finished.filter((run) => run.errorCode !== null)).toEqual([]);
  }, 420_000);

  it('keeps answering reads and accepts submissions while Redis is down; the reconciler enqueues them after', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await createScenario(
      harness,
      token,
      exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 2000),
    );
    await redis.kill();

    const read = await harness.gql<{ runs: { totalCount: number } }>(token, '{ runs(first: 5) { totalCount } }');
    const runId = await submitRun(harness, token, { scenarioId });
    const queued = await getRun(harness, token, runId);

    expect(read.status).toBe(200);
    expect(read.errors).toBeUndefined();
    expect(read.data.runs.totalCount).toBe(0);
    expect(queued.status).toBe('QUEUED');

    await redis.start();
    worker = await spawnWorker({ REDIS_URL: redis.url });
    const run = await waitForRun(harness, token, runId, isFinal, 120_000);
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  }, 240_000);

  it('limits requests per process while Redis is unreachable, and logs the switch once', async () => {
    const warnings: string[] = [];
    // A recording logger (pino's own stream may write after the assertion).
    const logger = pino({ level: 'silent' });
    logger.warn = ((_object: unknown, message?: string) => void warnings.push(message ?? '')) as typeof logger.warn;
    const client = createRedis(redis.url);
    client.on('error', () => undefined);
    const limiter = createRedisRateLimiter(client, { requestsPerMinute: 3, keyPrefix: 'test-limit', logger });
    await redis.kill();

    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++)
      outcomes.push(
        await limiter.consume('token:a').then(
          () => 'ok',
          (error: { code?: string }) => error.code ?? 'other',
        ),
      );
    client.disconnect();

    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(warnings.filter((line) => line.includes('counting requests per process'))).toHaveLength(1);
  });

  it('re-registers cron schedules and the sweep after Redis comes back empty, without a worker restart', async () => {
    worker = await spawnWorker({ REDIS_URL: redis.url });
    const { token } = await harness.newTeam();
    const scenarioId = await createScenario(
      harness,
      token,
      exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 500),
    );
    const suite = await harness.gql<{ createSuite: { suite: { id: string } } }>(
      token,
      'mutation($input: SuiteInput!) { createSuite(input: $input) { ... on SuiteSaved { suite { id } } } }',
      {
        input: {
          name: 'nightly-suite',
          scenarioIds: [scenarioId],
          entries: [{ name: 'kernel', profile: 'lb', overlays: [] }],
        },
      },
    );
    const schedule = await harness.gql<{ createSchedule: { schedule: { id: string } } }>(
      token,
      'mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { ... on ScheduleSaved { schedule { id } } } }',
      { input: { suiteId: suite.data.createSuite.suite.id, name: 'nightly', cron: '0 3 * * *' } },
    );
    const scheduleId = schedule.data.createSchedule.schedule.id;

    await redis.kill();
    await redis.start();
    const restartedAt = Date.now();
    const prefix = process.env['BULLMQ_PREFIX']!;
    const schedules = new Queue(RegressionQueueName.schedules, { connection: { url: redis.url }, prefix });
    const batches = new Queue(RegressionQueueName.batches, { connection: { url: redis.url }, prefix });
    const back = await eventually('schedulers re-registered', async () => {
      const [cron, sweep] = [
        await schedules.getJobScheduler(scheduleId),
        await batches.getJobScheduler(sweepSchedulerId),
      ];
      return cron && sweep ? { cron, sweep } : undefined;
    });
    console.log(`redis-loss: schedulers back ${Date.now() - restartedAt} ms after the restart`);
    await Promise.all([schedules.close(), batches.close()]);

    expect(back.cron.pattern).toBe('0 3 * * *');
    expect(back.sweep.every).toBeGreaterThan(0);
  }, 180_000);
});
