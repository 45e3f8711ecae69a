import { createDatabase, type Database } from '../../../src/platform/db';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { missingFaultBinaries, type PrivatePostgres, startPrivatePostgres } from '../../support/private-services';
import { migrateWithCli } from '../../support/test-database';
import { createScenario, exampleSpec, isFinal, submitRun, waitForRun } from './pipeline-support';
import { eventually, killWorker, type SpawnedWorker, spawnWorker } from './worker-processes';
import pino from 'pino';
import { createRunUpdatedEventSource } from '../../../src/modules/run/run.updates';
import { runUpdatedChannel } from '../../../src/modules/run/run.types';
import { listenForNotifications } from '../../../src/platform/pg-notifications';

// PostgreSQL unavailable for 20 s while runs execute: a private PostgreSQL 15 cluster (initdb in a
// temp dir, its own loopback port, migrated with `dmasim migrate`) is stopped under a `dmasim
// worker` process and started again. Database unavailability is an infrastructure error: the jobs
// wait and retry without using up attempts, and every run ends SUCCEEDED with one result set.
const skip = missingFaultBinaries({ postgres: true });
if (skip) console.warn(skip);
const describeFault = skip ? describe.skip : describe;
const outageMs = 20_000;

describeFault('PostgreSQL stopped for 20 s', () => {
  let postgres: PrivatePostgres;
  let harness: ApiHarness;
  let db: Database;
  let worker: SpawnedWorker | undefined;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    await migrateWithCli(postgres.url);
    harness = await startApiHarness({ DATABASE_URL: postgres.url });
    db = createDatabase({ databaseUrl: postgres.url, schema: 'public' });
  }, 180_000);

  afterAll(async () => {
    if (worker) await killWorker(worker);
    await harness?.stop();
    await db?.$disconnect();
    await postgres?.destroy();
  });

  it('retries without using attempts while the database is down, then finishes every run once', async () => {
    worker = await spawnWorker({ DATABASE_URL: postgres.url, WORKER_CONCURRENCY: '2' });
    const { token } = await harness.newTeam();
    const scenarioId = await createScenario(
      harness,
      token,
      exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 400_000),
    );
    const runIds: string[] = [];
    for (let i = 0; i < 6; i++) runIds.push(await submitRun(harness, token, { scenarioId }));
    await eventually('a run executing', async () => {
      const running = await db.run.count({ where: { id: { in: runIds }, status: 'RUNNING', progress: { gt: 0 } } });
      return running > 0 ? running : undefined;
    });

    await postgres.stop();
    // The outage itself: a fixed duration of the fault, not a wait for a condition.
    await new Promise((resolve) => setTimeout(resolve, outageMs));
    await postgres.start();
    const restartedAt = Date.now();
    const finished = await Promise.all(runIds.map((runId) => waitForRun(harness, token, runId, isFinal, 240_000)));
    console.log(`postgres-loss: all ${runIds.length} runs final ${Date.now() - restartedAt} ms after the restart`);
    const failedJobLines = worker
      .output()
      .split('\n')
      .filter((line) => line.includes('"run job failed"'));

    expect(finished.map((run) => run.status)).toEqual(runIds.map(() => 'SUCCEEDED'));
    expect(await db.runReport.count({ where: { runId: { in: runIds } } })).toBe(runIds.length);
    expect(await db.allocatorMetrics.count({ where: { runId: { in: runIds } } })).toBe(runIds.length);
    // No BullMQ attempt was used up by the outage: infrastructure errors delay the job instead.
    expect(failedJobLines).toEqual([]);
    expect(worker.output()).toContain('infrastructure error');
  }, 480_000);

  it("reopens the API's run listener after an outage, wakes every subscriber once and hears runs again", async () => {
    const logLines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
    const listener = listenForNotifications({ databaseUrl: postgres.url, channels: [runUpdatedChannel], logger });
    const events = createRunUpdatedEventSource(listener);
    const heard = new Set<string>();
    let wakeAlls = 0;
    const unsubscribe = events.subscribe((event) => {
      if (event.runId === undefined) wakeAlls++;
      else heard.add(event.runId);
    });
    /** Sends NOTIFYs with `payload` until the listener hears one (it may be reconnecting). */
    const heardAfterNotifying = (payload: string) =>
      eventually(`the listener to hear ${payload}`, async () => {
        await db.$executeRaw`SELECT pg_notify('dmasim_run_updated', ${payload})`.catch(() => undefined);
        return heard.has(payload) ? true : undefined;
      });
    try {
      await heardAfterNotifying('before-outage');
      const wakeAllsBefore = wakeAlls;
      await postgres.stop();
      // Long enough for the listener to notice and retry against a refusing server more than once.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await postgres.start();
      await heardAfterNotifying('after-outage');

      const lost = logLines.filter((line) => line.includes('notification connection lost'));
      const again = logLines.filter((line) => line.includes('listening for notifications again'));
      // Logged once each way, not once per failed reconnect.
      expect(lost).toHaveLength(1);
      expect(again).toHaveLength(1);
      // Changes made while it was away went unheard: every subscriber re-reads once on reconnection.
      expect(wakeAlls - wakeAllsBefore).toBe(1);
    } finally {
      unsubscribe();
      await events.close();
      await listener.close();
    }
  }, 120_000);
});
