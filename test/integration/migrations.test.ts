import { createDatabase, type Database } from '../../src/platform/db';
import { createEmptyDatabase, dropDatabase, migrateWithCli, randomDatabaseName } from '../support/test-database';

// Applies every migration to an empty database through `dmasim migrate`, then round-trips each
// Prisma model, so prisma/schema.prisma and the SQL migrations cannot drift apart silently.
describe('migrations', () => {
  const name = randomDatabaseName('dmasim_migrations');
  let databaseUrl: string;
  let db: Database;

  beforeAll(async () => {
    databaseUrl = await createEmptyDatabase(name);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await dropDatabase(name);
  });

  it('applies all migrations to an empty database, then finds nothing left to do', async () => {
    const first = await migrateWithCli(databaseUrl);
    const second = await migrateWithCli(databaseUrl);

    expect(first).toMatch(/migrate up: \d+ migration\(s\)/);
    expect(first).toContain('teams-and-tokens');
    expect(first).toContain('scenarios-runs-results');
    expect(second).toContain('nothing to do');
  });

  it('round-trips every model through the Prisma client', async () => {
    db = createDatabase({ databaseUrl, schema: 'public' });

    const team = await db.team.create({ data: { name: 'kernel-team' } });
    const member = await db.member.create({ data: { teamId: team.id, email: 'a@example.org', role: 'admin' } });
    const token = await db.apiToken.create({
      data: {
        teamId: team.id,
        name: 'ci',
        role: 'member',
        prefix: 'dms_abc',
        salt: Buffer.from([1, 2]),
        secretHash: Buffer.from([3, 4, 5]),
      },
    });
    const loaded = await db.team.findUniqueOrThrow({
      where: { id: team.id },
      include: { members: true, apiTokens: true },
    });

    expect(loaded.name).toBe('kernel-team');
    expect(loaded.createdAt).toBeInstanceOf(Date);
    expect(loaded.members).toEqual([member]);
    expect(loaded.apiTokens).toHaveLength(1);
    expect(Buffer.from(loaded.apiTokens[0]!.secretHash)).toEqual(Buffer.from([3, 4, 5]));
    expect(loaded.apiTokens[0]!.lastUsedAt).toBeNull();
    expect(token.role).toBe('member');
  });

  it('round-trips scenarios, versions, batches, runs and their results', async () => {
    const team = await db.team.create({ data: { name: 'results-team' } });
    const scenario = await db.scenario.create({ data: { teamId: team.id, name: 's4', tags: ['vmbus', 'snp'] } });
    const version = await db.scenarioVersion.create({
      data: {
        teamId: team.id,
        scenarioId: scenario.id,
        version: 1,
        spec: { apiVersion: 'dmasim/v1', devices: [{ id: 'storvsc0' }] },
        specHash: 'h1',
      },
    });
    const batch = await db.runBatch.create({ data: { teamId: team.id, scenarioId: scenario.id, trigger: 'BATCH' } });
    const run = await db.run.create({
      data: {
        teamId: team.id,
        scenarioId: scenario.id,
        scenarioVersionId: version.id,
        batchId: batch.id,
        profile: 'la-phys',
        overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
        seed: 2n ** 40n,
        engineVersion: '0.1.0',
        trigger: 'MANUAL',
        idempotencyKey: 'k1',
      },
    });
    await db.runReport.create({ data: { runId: run.id, teamId: team.id, report: { resultHash: 'abc' } } });
    await db.violation.create({
      data: {
        teamId: team.id,
        runId: run.id,
        scenarioId: scenario.id,
        class: 'V1',
        severity: 'critical',
        deviceId: 'storvsc0',
        fingerprint: 'fp1',
        count: 3n,
        bytesExposed: 12288n,
        dataClass: 'secret',
        firstOp: 0n,
        path: 'swiotlb',
        rule: 'A4',
        explanation: 'bounced',
      },
    });
    await db.violationTriage.create({
      data: {
        teamId: team.id,
        fingerprint: 'fp1',
        state: 'WAIVED',
        reason: 'known',
        expiresAt: new Date('2030-01-01T00:00:00Z'),
      },
    });
    await db.allocatorMetrics.create({
      data: {
        runId: run.id,
        teamId: team.id,
        scenarioId: scenario.id,
        nslabs: 262144,
        nareas: 16,
        used: 10,
        hiwater: 99,
        failedMaps: 0n,
        failedCoherentAllocs: 1n,
        bouncedBytesToDevice: 2n ** 35n,
        bouncedBytesFromDevice: 0n,
        metrics: { 'swiotlb.used': 10 },
      },
    });
    await db.metricSeries.create({
      data: { runId: run.id, teamId: team.id, metric: 'swiotlb.used', t: [0n, 1n], value: [0, 0.5] },
    });

    const loaded = await db.run.findUniqueOrThrow({
      where: { id: run.id },
      include: {
        report: true,
        violations: true,
        allocatorMetrics: true,
        series: true,
        batch: true,
        scenarioVersion: true,
      },
    });
    const triage = await db.violationTriage.findUniqueOrThrow({
      where: { teamId_fingerprint: { teamId: team.id, fingerprint: 'fp1' } },
    });

    expect(loaded.seed).toBe(2n ** 40n);
    expect(loaded.status).toBe('QUEUED');
    expect(loaded.overlays).toEqual([{ name: 'device-cc-accepted', variant: 'dan' }]);
    expect(loaded.scenarioVersion.spec).toEqual({ apiVersion: 'dmasim/v1', devices: [{ id: 'storvsc0' }] });
    expect(loaded.batch?.id).toBe(batch.id);
    expect(loaded.report?.report).toEqual({ resultHash: 'abc' });
    expect(loaded.violations[0]).toMatchObject({ class: 'V1', bytesExposed: 12288n, count: 3n });
    expect(loaded.allocatorMetrics).toMatchObject({
      nslabs: 262144,
      bouncedBytesToDevice: 2n ** 35n,
      metrics: { 'swiotlb.used': 10 },
    });
    expect(loaded.series.map((s) => [s.metric, s.t, s.value])).toEqual([['swiotlb.used', [0n, 1n], [0, 0.5]]]);
    expect(triage).toMatchObject({ state: 'WAIVED', reason: 'known', expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect((await db.scenario.findUniqueOrThrow({ where: { id: scenario.id } })).tags).toEqual(['vmbus', 'snp']);
  });

  it('round-trips suites, schedules, suite batches, comparisons, replays and webhooks', async () => {
    const team = await db.team.create({ data: { name: 'regression-team' } });
    const scenario = await db.scenario.create({ data: { teamId: team.id, name: 'vmbus' } });
    const suite = await db.suite.create({
      data: {
        teamId: team.id,
        name: 'nightly',
        scenarioIds: [scenario.id],
        entries: [{ name: 'kernel', profile: 'la-phys', overlays: [] }],
        seed: 2n ** 40n,
        thresholds: [{ metric: 'swiotlb.hiwater', maxIncreasePercent: 5 }],
      },
    });
    const schedule = await db.schedule.create({
      data: { teamId: team.id, suiteId: suite.id, name: 'nightly', cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
    });
    const batch = await db.suiteBatch.create({
      data: { teamId: team.id, suiteId: suite.id, scheduleId: schedule.id, trigger: 'SCHEDULE', tags: ['v7.2'] },
    });
    await db.suite.update({ where: { id: suite.id }, data: { baselinePolicy: 'PINNED', baselineBatchId: batch.id } });
    const comparison = await db.comparison.create({
      data: { teamId: team.id, suiteId: suite.id, batchId: batch.id, verdict: 'PASS', detail: { entries: [] } },
    });
    const webhook = await db.webhook.create({
      data: {
        teamId: team.id,
        url: 'http://127.0.0.1:1/hook',
        secret: 's',
        events: ['regression'],
        suiteIds: [suite.id],
        minSeverity: 'high',
      },
    });
    const delivery = await db.webhookDelivery.create({
      data: { teamId: team.id, webhookId: webhook.id, event: 'regression', payload: { a: 1 } },
    });

    const loadedSuite = await db.suite.findUniqueOrThrow({ where: { id: suite.id } });
    const loadedBatch = await db.suiteBatch.findUniqueOrThrow({ where: { id: batch.id } });

    expect(loadedSuite).toMatchObject({
      baselinePolicy: 'PINNED',
      baselineBatchId: batch.id,
      seed: 2n ** 40n,
      scenarioIds: [scenario.id],
    });
    expect(loadedBatch).toMatchObject({
      status: 'QUEUED',
      trigger: 'SCHEDULE',
      runBatchIds: [],
      tags: ['v7.2'],
      acceptedAt: null,
    });
    expect(await db.schedule.findUniqueOrThrow({ where: { id: schedule.id } })).toMatchObject({
      paused: false,
      overlapPolicy: 'SKIP',
      timeZone: 'Europe/Berlin',
    });
    expect(comparison.detail).toEqual({ entries: [] });
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({
      status: 'PENDING',
      attempts: 0,
      payload: { a: 1 },
    });
    await expect(
      db.comparison.create({
        data: { teamId: team.id, suiteId: suite.id, batchId: batch.id, verdict: 'PASS', detail: {} },
      }),
    ).rejects.toThrow();
    await expect(
      db.comparison.create({
        data: { teamId: team.id, suiteId: suite.id, batchId: batch.id, verdict: 'MAYBE', detail: {} },
      }),
    ).rejects.toThrow();
  });

  it('enforces the constraints the SQL declares (unique team name, token prefix)', async () => {
    const team = await db.team.create({ data: { name: 'dup-check' } });

    await expect(db.team.create({ data: { name: 'dup-check' } })).rejects.toThrow();
    await db.apiToken.create({
      data: {
        teamId: team.id,
        name: 'x',
        role: 'viewer',
        prefix: 'dms_dup',
        salt: Buffer.alloc(1),
        secretHash: Buffer.alloc(1),
      },
    });
    await expect(
      db.apiToken.create({
        data: {
          teamId: team.id,
          name: 'y',
          role: 'viewer',
          prefix: 'dms_dup',
          salt: Buffer.alloc(1),
          secretHash: Buffer.alloc(1),
        },
      }),
    ).rejects.toThrow();
  });

  it('round-trips the run and team time limits, and refuses limits outside 1000-86400000 ms', async () => {
    const team = await db.team.create({ data: { name: 'limits-team', runTimeLimitMs: 5000 } });
    const scenario = await db.scenario.create({ data: { teamId: team.id, name: 's-limits' } });
    const version = await db.scenarioVersion.create({
      data: { teamId: team.id, scenarioId: scenario.id, version: 1, spec: {}, specHash: 'h' },
    });
    const run = await db.run.create({
      data: {
        teamId: team.id,
        scenarioId: scenario.id,
        scenarioVersionId: version.id,
        profile: 'lb',
        seed: 1n,
        engineVersion: '1',
        trigger: 'MANUAL',
        timeLimitMs: 2000,
      },
    });

    expect((await db.team.findUniqueOrThrow({ where: { id: team.id } })).runTimeLimitMs).toBe(5000);
    expect((await db.run.findUniqueOrThrow({ where: { id: run.id } })).timeLimitMs).toBe(2000);
    await expect(db.run.update({ where: { id: run.id }, data: { timeLimitMs: 10 } })).rejects.toThrow();
  });

  it('reverts the eight newest migrations with migrate down 8 and re-applies them, keeping stored series and counts', async () => {
    // The newest migration shards the latest-run and headroom rollups (down keeps each key's newest
    // row); the one before lets the run path's two writes send their change notification after
    // commit (functions the trigger and those statements call); the one before adds the run's revision (a column, a trigger that bumps it, the revision
    // in the change notification); the one before adds the run table's change notification trigger; the one before shards
    // the rollup counters (down folds the shards into one row per key); the one before compresses series and reports with lz4; the one before that indexes pending
    // replays; the one before that turns per-sample rows into one array row per run and metric: the
    // round-trip test above stored the series [0, 1] → [0, 0.5], which must survive down and up.
    const seriesText = async (table: 'metric_series' | 'metric_sample'): Promise<string> => {
      const rows = await db.$queryRawUnsafe<Array<{ text: string }>>(
        table === 'metric_series'
          ? `SELECT metric || ':' || t::text || '=' || value::text AS text FROM metric_series ORDER BY metric`
          : `SELECT metric || ':' || array_agg(t ORDER BY t)::text || '=' || array_agg(value ORDER BY t)::text AS text FROM metric_sample GROUP BY run_id, metric ORDER BY metric`,
      );
      return rows.map((row) => row.text).join(';');
    };
    expect(await seriesText('metric_series')).toBe('swiotlb.used:{0,1}={0,0.5}');

    const indexNamed = async (name: string): Promise<number> =>
      (await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM pg_indexes WHERE indexname = '${name}'`)).length;
    expect(await indexNamed('run_replay_pending_idx')).toBe(1);
    const triggerNamed = async (name: string): Promise<number> =>
      (await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM pg_trigger WHERE tgname = '${name}'`)).length;
    expect(await triggerNamed('run_updated_notify')).toBe(1);
    expect(await triggerNamed('run_revision_bump')).toBe(1);
    const functionNamed = async (name: string): Promise<number> =>
      (await db.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM pg_proc WHERE proname = '${name}'`)).length;
    expect(await functionNamed('run_notify_after_commit')).toBe(1);
    expect(await functionNamed('run_updated_notify_now')).toBe(1);
    /** A column's compression: 'l' for lz4, '' for the server's default. */
    const compressionOf = async (table: string, column: string): Promise<string> =>
      (
        await db.$queryRawUnsafe<Array<{ c: string }>>(
          `SELECT attcompression::text AS c FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attname = '${column}'`,
        )
      )[0]!.c;
    const seriesCompression = () => compressionOf('metric_series', 'value');
    expect(await seriesCompression()).toBe('l');
    // Runs per status as the dashboard adds them up; a second shard row for one key (as a second
    // connection leaves it) must fold into the key's single row on the way down.
    const runCounts = async (): Promise<string> =>
      (
        await db.$queryRawUnsafe<Array<{ text: string }>>(
          `SELECT string_agg(status::text || '=' || n, ',' ORDER BY status) AS text
           FROM (SELECT status, sum(count) AS n FROM run_daily_status_count GROUP BY status) s`,
        )
      )[0]!.text;
    const countsBefore = await runCounts();
    expect(countsBefore).toMatch(/^QUEUED=[1-9]/);
    // +1 and -1 on two other shards of the QUEUED key: the sum stays, the key now has three rows.
    await db.$executeRawUnsafe(
      `INSERT INTO run_daily_status_count (team_id, day, status, shard, count)
       SELECT team_id, day, status, (shard + k) % 16, 3 - 2 * k
       FROM (SELECT * FROM run_daily_status_count WHERE status = 'QUEUED' LIMIT 1) q CROSS JOIN generate_series(1, 2) AS k`,
    );
    expect(await runCounts()).toBe(countsBefore);
    // An older row of a latest-run key on another shard (as another connection leaves it): down
    // keeps the newest row of the key.
    const latestRows = async (): Promise<string> =>
      (
        await db.$queryRawUnsafe<Array<{ text: string | null }>>(
          `SELECT string_agg(run_id::text || '=' || critical_violations, ',' ORDER BY run_id) AS text FROM scenario_kernel_latest_run`,
        )
      )[0]!.text ?? '';
    await db.$executeRawUnsafe(
      `INSERT INTO scenario_kernel_latest_run (team_id, scenario_id, profile, overlays, shard, run_id, finished_at, critical_violations)
       SELECT team_id, scenario_id, profile, overlays, 4, id, now(), 2 FROM run LIMIT 1`,
    );
    const latestBefore = await latestRows();
    expect(latestBefore).toMatch(/=2$/);
    await db.$executeRawUnsafe(
      `INSERT INTO scenario_kernel_latest_run (team_id, scenario_id, profile, overlays, shard, run_id, finished_at, critical_violations)
       SELECT team_id, scenario_id, profile, overlays, (shard + 1) % 16, run_id, finished_at - interval '1 second', critical_violations + 7
       FROM scenario_kernel_latest_run`,
    );
    await db.$disconnect();
    const down = await migrateWithCli(databaseUrl, ['down', '8']);
    db = createDatabase({ databaseUrl, schema: 'public' });
    const latestAfterDown = await latestRows();
    const afterDown = await seriesText('metric_sample');
    const indexAfterDown = await indexNamed('run_replay_pending_idx');
    const triggerAfterDown = await triggerNamed('run_updated_notify');
    const revisionTriggerAfterDown = await triggerNamed('run_revision_bump');
    const afterCommitFunctionsAfterDown =
      (await functionNamed('run_notify_after_commit')) + (await functionNamed('run_updated_notify_now'));
    const compressionAfterDown = await compressionOf('run_report', 'report');
    const countsAfterDown = await runCounts();
    const rowsPerKeyAfterDown = await db.$queryRawUnsafe<Array<{ n: bigint }>>(
      'SELECT count(*) AS n FROM run_daily_status_count GROUP BY team_id, day, status ORDER BY 1 DESC LIMIT 1',
    );
    await db.$disconnect();
    const up = await migrateWithCli(databaseUrl);
    db = createDatabase({ databaseUrl, schema: 'public' });

    expect(down).toMatch(/migrate down: 8 migration\(s\)/);
    expect(up).toMatch(/migrate up: 8 migration\(s\)/);
    expect(latestAfterDown).toBe(latestBefore);
    expect(await latestRows()).toBe(latestBefore);
    expect(afterCommitFunctionsAfterDown).toBe(0);
    expect(await functionNamed('run_notify_after_commit')).toBe(1);
    expect(await functionNamed('run_updated_notify_now')).toBe(1);
    expect(triggerAfterDown).toBe(0);
    expect(revisionTriggerAfterDown).toBe(0);
    expect(await triggerNamed('run_revision_bump')).toBe(1);
    expect(await triggerNamed('run_updated_notify')).toBe(1);
    expect(countsAfterDown).toBe(await runCounts());
    expect(rowsPerKeyAfterDown[0]!.n).toBe(1n);
    expect(compressionAfterDown).toBe('');
    expect(afterDown).toBe('swiotlb.used:{0,1}={0,0.5}');
    expect(indexAfterDown).toBe(0);
    expect(await seriesText('metric_series')).toBe('swiotlb.used:{0,1}={0,0.5}');
    expect(await indexNamed('run_replay_pending_idx')).toBe(1);
    expect(await seriesCompression()).toBe('l');
    expect(await compressionOf('run_report', 'report')).toBe('l');
  });
});
