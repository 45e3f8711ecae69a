import { Client } from 'pg';
import pino from 'pino';
import { DashboardMaintenance } from '../../../src/modules/dashboard/dashboard.maintenance';
import { DashboardRepository } from '../../../src/modules/dashboard/dashboard.repository';
import { useApiHarness } from '../../support/api-harness';
import { buildViolation, completeRun, newTestTeam } from '../../support/factories';

// The dashboard's riskiest-scenarios and headroom rollups (scenario_kernel_latest_run,
// scenario_headroom_latest), written by the result transaction, read through GraphQL; and the
// per-team cache in the API process, which a new result or triage decision must invalidate; and the
// sharded counters (runs and violations per day, the dashboard version), one row per connection.

interface Risk {
  scenario: { name: string };
  profile: string;
  overlays: Array<{ name: string; variant: string | null }>;
  openCriticalViolations: number;
  runId: string;
}

const riskFields = 'scenario { name } profile overlays { name variant } openCriticalViolations runId';

describe('dashboard rollups', () => {
  const api = useApiHarness();

  const criticals = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => buildViolation({ fingerprint: `${prefix}-${i}` }));

  async function riskiest(token: string): Promise<Risk[]> {
    const response = await api.harness.gql<{ dashboard: { riskiestScenarios: Risk[] } }>(
      token,
      `{ dashboard { riskiestScenarios { ${riskFields} } } }`,
    );
    expect(response.errors).toBeUndefined();
    return response.data.dashboard.riskiestScenarios;
  }

  it('ranks each scenario per kernel by the open criticals of its latest run under that kernel', async () => {
    const team = await newTestTeam(api.harness);
    const nvme = await team.scenario('nvme');
    const quiet = await team.scenario('quiet');

    // nvme under lb: an older run with 5 criticals, then a newer one with 1 (the newer one counts).
    await completeRun(api.db, await team.queuedRun(nvme, { profile: 'lb' }), { violations: criticals('old-lb', 5) });
    const latestLb = await team.queuedRun(nvme, { profile: 'lb' });
    await completeRun(api.db, latestLb, {
      violations: [...criticals('lb', 1), buildViolation({ fingerprint: 'lb-high', severity: 'high' })],
    });
    // nvme under lb + an overlay: another kernel, ranked on its own.
    const overlaid = await team.queuedRun(nvme, {
      profile: 'lb',
      overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
    });
    await completeRun(api.db, overlaid, { violations: criticals('cc', 3) });
    // nvme under v7.2: 2 criticals; quiet: a run without criticals is not ranked.
    const v72 = await team.queuedRun(nvme, { profile: 'v7.2' });
    await completeRun(api.db, v72, { violations: criticals('v72', 2) });
    await completeRun(api.db, await team.queuedRun(quiet), { violations: [] });
    // A run still queued under a fourth kernel adds nothing.
    await team.queuedRun(nvme, { profile: 'v6.6' });

    const rows = await riskiest(team.token);

    expect(rows).toEqual([
      {
        scenario: { name: 'nvme' },
        profile: 'lb',
        overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
        openCriticalViolations: 3,
        runId: overlaid.id,
      },
      { scenario: { name: 'nvme' }, profile: 'v7.2', overlays: [], openCriticalViolations: 2, runId: v72.id },
      { scenario: { name: 'nvme' }, profile: 'lb', overlays: [], openCriticalViolations: 1, runId: latestLb.id },
    ]);
  });

  it('shows a new result and a triage decision at once, despite the cache', async () => {
    const team = await newTestTeam(api.harness);
    const nvme = await team.scenario('cached');
    await completeRun(api.db, await team.queuedRun(nvme, { profile: 'lb' }), { violations: criticals('a', 2) });
    expect((await riskiest(team.token)).map((r) => r.openCriticalViolations)).toEqual([2]);
    expect((await riskiest(team.token)).map((r) => r.openCriticalViolations)).toEqual([2]);

    // A newer run under the same kernel replaces the old one.
    await completeRun(api.db, await team.queuedRun(nvme, { profile: 'lb' }), { violations: criticals('b', 4) });
    expect((await riskiest(team.token)).map((r) => r.openCriticalViolations)).toEqual([4]);

    // Acknowledging and waiving take findings out of the open count; reopening puts one back.
    await api.harness.gql(team.token, 'mutation { acknowledgeViolation(fingerprint: "b-0") { __typename } }');
    expect((await riskiest(team.token)).map((r) => r.openCriticalViolations)).toEqual([3]);
    await api.harness.gql(
      team.token,
      'mutation { waiveViolation(input: { fingerprint: "b-1", reason: "accepted" }) { __typename } }',
    );
    expect((await riskiest(team.token)).map((r) => r.openCriticalViolations)).toEqual([2]);
    await api.harness.gql(team.token, 'mutation { reopenViolation(fingerprint: "b-0") { __typename } }');
    expect((await riskiest(team.token)).map((r) => r.openCriticalViolations)).toEqual([3]);
  });

  it('keeps the headroom trend per scenario and honours a range ending in the past', async () => {
    const team = await newTestTeam(api.harness);
    const first = await team.scenario('headroom-a');
    const second = await team.scenario('headroom-b');
    await completeRun(api.db, await team.queuedRun(first), { metrics: { nslabs: 1000, hiwater: 100 } });
    await completeRun(api.db, await team.queuedRun(second), { metrics: { nslabs: 1000, hiwater: 250 } });
    // finished_at is stored to the millisecond (rounded) and `between` reaches JS as a Date
    // (truncated): a few milliseconds each side keep `between` strictly between the two results.
    const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
    await pause();
    const between = await api.db.$queryRaw<Array<{ now: Date }>>`SELECT clock_timestamp() AS now`;
    await pause();
    await completeRun(api.db, await team.queuedRun(first), { metrics: { nslabs: 1000, hiwater: 300 } });

    const headroom = async (range?: { from: Date; to: Date }) => {
      const response = await api.harness.gql<{
        dashboard: { headroom: Array<{ scenario: { name: string }; points: Array<{ hiwaterFraction: number }> }> };
      }>(
        team.token,
        'query($range: TimeRange) { dashboard(range: $range) { headroom { scenario { name } points { hiwaterFraction } } } }',
        range ? { range: { from: range.from.toISOString(), to: range.to.toISOString() } } : {},
      );
      expect(response.errors).toBeUndefined();
      return response.data.dashboard.headroom
        .map((h) => [h.scenario.name, h.points.map((p) => p.hiwaterFraction)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    };

    expect(await headroom()).toEqual([
      ['headroom-a', [0.1, 0.3]],
      ['headroom-b', [0.25]],
    ]);
    // Until `between`, headroom-a's newest point (0.3) is out of range: its older point is shown.
    const to = between[0]!.now;
    expect(await headroom({ from: new Date(to.getTime() - 3600_000), to })).toEqual([
      ['headroom-a', [0.1]],
      ['headroom-b', [0.25]],
    ]);
  });
  it("reads the newest of a key's shard rows: an older run stored on another connection is not ranked or shown twice", async () => {
    const team = await newTestTeam(api.harness);
    const nvme = await team.scenario('sharded-latest');
    const older = await team.queuedRun(nvme, { profile: 'lb' });
    await completeRun(api.db, older, { violations: criticals('older', 5), metrics: { nslabs: 1000, hiwater: 100 } });
    const newer = await team.queuedRun(nvme, { profile: 'lb' });
    await completeRun(api.db, newer, { violations: [], metrics: { nslabs: 1000, hiwater: 400 } });
    // The older run's rows as another connection's shard would hold them (when the two results
    // were stored on one connection, the newer one replaced them on that shard).
    await api.db.$executeRawUnsafe(
      'DELETE FROM scenario_kernel_latest_run WHERE scenario_id = $1::uuid AND run_id <> $2::uuid',
      nvme,
      newer.id,
    );
    await api.db.$executeRawUnsafe(
      'DELETE FROM scenario_headroom_latest WHERE scenario_id = $1::uuid AND run_id <> $2::uuid',
      nvme,
      newer.id,
    );
    await api.db.$executeRawUnsafe(
      `INSERT INTO scenario_kernel_latest_run (team_id, scenario_id, profile, overlays, shard, run_id, finished_at, critical_violations)
       SELECT team_id, scenario_id, profile, overlays, (shard + 1) % 16, $1::uuid, finished_at - interval '1 second', 5
       FROM scenario_kernel_latest_run WHERE run_id = $2::uuid`,
      older.id,
      newer.id,
    );
    await api.db.$executeRawUnsafe(
      `INSERT INTO scenario_headroom_latest (team_id, scenario_id, shard, run_id, at, hiwater_fraction)
       SELECT team_id, scenario_id, (shard + 1) % 16, $1::uuid, at - interval '1 second', 0.1
       FROM scenario_headroom_latest WHERE run_id = $2::uuid`,
      older.id,
      newer.id,
    );
    const shardRows = await api.db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM scenario_kernel_latest_run WHERE scenario_id = ${nvme}::uuid`;
    expect(shardRows[0]!.n).toBe(2);

    // The latest run under lb has no criticals: the older shard row's 5 do not count.
    expect(await riskiest(team.token)).toEqual([]);
    const response = await api.harness.gql<{
      dashboard: { headroom: Array<{ scenario: { name: string }; points: Array<{ runId: string }> }> };
    }>(team.token, '{ dashboard { headroom { scenario { name } points { runId } } } }');
    expect(response.errors).toBeUndefined();
    // One entry for the scenario, each point once.
    expect(response.data.dashboard.headroom).toEqual([
      { scenario: { name: 'sharded-latest' }, points: [{ runId: older.id }, { runId: newer.id }] },
    ]);
  });

  it("folds the latest-row shards into each key's newest row on shard 0, skipping rows a writer holds", async () => {
    const team = await newTestTeam(api.harness);
    const scenarios = [await team.scenario('fold-a'), await team.scenario('fold-b')];
    const runs = [];
    for (const scenario of scenarios)
      for (let i = 0; i < 3; i += 1) {
        const run = await team.queuedRun(scenario, { profile: 'lb' });
        await completeRun(api.db, run, { violations: criticals(`${scenario}-${i}`, i + 1) });
        runs.push({ scenarioId: scenario, runId: run.id, i });
      }
    // Each scenario's three runs on shards 0, 3 and 9, the newest (i = 2) on shard 3: as three
    // connections would leave them.
    await api.db.$executeRawUnsafe('DELETE FROM scenario_kernel_latest_run WHERE team_id = $1::uuid', team.teamId);
    await api.db.$executeRawUnsafe('DELETE FROM scenario_headroom_latest WHERE team_id = $1::uuid', team.teamId);
    const shardOf = [0, 9, 3];
    for (const { scenarioId, runId, i } of runs) {
      await api.db.$executeRawUnsafe(
        `INSERT INTO scenario_kernel_latest_run (team_id, scenario_id, profile, overlays, shard, run_id, finished_at, critical_violations)
         VALUES ($1::uuid, $2::uuid, 'lb', '[]'::jsonb, $3, $4::uuid, now() - make_interval(mins => 10 - $5), $5 + 1)`,
        team.teamId,
        scenarioId,
        shardOf[i],
        runId,
        i,
      );
      await api.db.$executeRawUnsafe(
        `INSERT INTO scenario_headroom_latest (team_id, scenario_id, shard, run_id, at, hiwater_fraction)
         VALUES ($1::uuid, $2::uuid, $3, $4::uuid, now() - make_interval(mins => 10 - $5), $5 / 10.0)`,
        team.teamId,
        scenarioId,
        shardOf[i],
        runId,
        i,
      );
    }
    const rows = async () =>
      (
        await api.db.$queryRawUnsafe<Array<{ row: string }>>(
          `SELECT 'k ' || s.name || ' ' || k.shard || ' ' || k.critical_violations AS row
           FROM scenario_kernel_latest_run k JOIN scenario s ON s.id = k.scenario_id WHERE k.team_id = $1::uuid
           UNION ALL
           SELECT 'h ' || s.name || ' ' || h.shard || ' ' || h.hiwater_fraction
           FROM scenario_headroom_latest h JOIN scenario s ON s.id = h.scenario_id WHERE h.team_id = $1::uuid
           ORDER BY 1`,
          team.teamId,
        )
      ).map((r) => r.row);
    const ranked = async () =>
      (await riskiest(team.token)).map((r) => [r.scenario.name, r.openCriticalViolations]).sort();
    expect(await ranked()).toEqual([
      ['fold-a', 3],
      ['fold-b', 3],
    ]);

    // A writer holds fold-b's kernel row on shard 3 (its newest): it waits for a later fold.
    const holder = new Client({ connectionString: process.env['DATABASE_URL']! });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM scenario_kernel_latest_run WHERE scenario_id = $1 AND shard = 3 FOR UPDATE', [
        scenarios[1]!,
      ]);
      const maintenance = new DashboardMaintenance(
        new DashboardRepository(api.db),
        { now: () => new Date() },
        pino({ level: 'silent' }),
      );
      await maintenance.foldShards();
      expect(await rows()).toEqual([
        'h fold-a 0 0.2',
        'h fold-b 0 0.2',
        'k fold-a 0 3',
        'k fold-b 0 2',
        'k fold-b 3 3',
      ]);
      expect(await ranked()).toEqual([
        ['fold-a', 3],
        ['fold-b', 3],
      ]);
      await holder.query('COMMIT');
      await maintenance.foldShards();
      expect(await rows()).toEqual(['h fold-a 0 0.2', 'h fold-b 0 0.2', 'k fold-a 0 3', 'k fold-b 0 3']);
      expect(await ranked()).toEqual([
        ['fold-a', 3],
        ['fold-b', 3],
      ]);
    } finally {
      await holder.end();
    }
  });

  /** Connections to the test database whose backends write different counter shards (pid % 16). */
  async function connectionsOnDistinctShards(n: number): Promise<Array<{ client: Client; shard: number }>> {
    const chosen: Array<{ client: Client; shard: number }> = [];
    while (chosen.length < n) {
      const client = new Client({ connectionString: process.env['DATABASE_URL']! });
      await client.connect();
      const shard = (await client.query<{ shard: number }>('SELECT rollup_shard() AS shard')).rows[0]!.shard;
      if (chosen.some((c) => c.shard === shard)) await client.end();
      else chosen.push({ client, shard });
    }
    return chosen;
  }

  it('adds up the counter shards that one run moves on different connections', async () => {
    const team = await newTestTeam(api.harness);
    const run = await team.queuedRun(await team.scenario('sharded'));
    const [a, b] = await connectionsOnDistinctShards(2);
    try {
      await a!.client.query(`UPDATE run SET status = 'RUNNING', started_at = now() WHERE id = $1`, [run.id]);
      await b!.client.query(`UPDATE run SET status = 'FAILED', finished_at = now() WHERE id = $1`, [run.id]);
      // A violation count for one key on two shards, as two connections' results leave it.
      for (const { client, shard } of [a!, b!]) {
        await client.query(
          `INSERT INTO violation_daily_count (team_id, day, class, severity, shard, count)
           VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 'V1', 'critical', $2, 2)`,
          [run.teamId, shard],
        );
      }
      const shards = await b!.client.query<{ status: string; shard: number; count: string }>(
        'SELECT status::text AS status, shard, count FROM run_daily_status_count WHERE team_id = $1 ORDER BY 1, 2',
        [run.teamId],
      );
      // Each status change moved the shard of the connection that made it: RUNNING's +1 on a's, its
      // -1 and FAILED's +1 on b's.
      expect(shards.rows.filter((r) => r.status !== 'QUEUED')).toEqual([
        { status: 'FAILED', shard: b!.shard, count: '1' },
        ...[
          { status: 'RUNNING', shard: a!.shard, count: '1' },
          { status: 'RUNNING', shard: b!.shard, count: '-1' },
        ].sort((x, y) => x.shard - y.shard),
      ]);
    } finally {
      await Promise.all([a!.client.end(), b!.client.end()]);
    }

    const response = await api.harness.gql<{
      dashboard: {
        runsByStatus: Array<{ status: string; count: number }>;
        violationsByClass: Array<{ class: string; severity: string; count: number }>;
      };
    }>(team.token, '{ dashboard { runsByStatus { status count } violationsByClass { class severity count } } }');
    expect(response.errors).toBeUndefined();
    // Keys whose shards add up to 0 (QUEUED, RUNNING) are not shown.
    expect(response.data.dashboard.runsByStatus).toEqual([{ status: 'FAILED', count: 1 }]);
    expect(response.data.dashboard.violationsByClass).toEqual([{ class: 'V1', severity: 'critical', count: 4 }]);
  });
  it('folds the shards of past days into one row per key, skipping rows a writer holds', async () => {
    const team = await newTestTeam(api.harness);
    const now = new Date();
    const dayMs = 24 * 3600 * 1000;
    const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const [today, yesterday, lastWeek] = [
      utcDay(now.getTime()),
      utcDay(now.getTime() - dayMs),
      utcDay(now.getTime() - 7 * dayMs),
    ];
    const db = new Client({ connectionString: process.env['DATABASE_URL']! });
    const holder = new Client({ connectionString: process.env['DATABASE_URL']! });
    await Promise.all([db.connect(), holder.connect()]);
    try {
      // Each day: SUCCEEDED on shards 0, 3 and 9 (3 + 4 - 2), QUEUED on shards 3 and 9 (1 - 1).
      for (const day of [today, yesterday, lastWeek]) {
        await db.query(
          `INSERT INTO run_daily_status_count (team_id, day, status, shard, count)
           VALUES ($1, $2, 'SUCCEEDED', 0, 3), ($1, $2, 'SUCCEEDED', 3, 4), ($1, $2, 'SUCCEEDED', 9, -2),
                  ($1, $2, 'QUEUED', 3, 1), ($1, $2, 'QUEUED', 9, -1)`,
          [team.teamId, day],
        );
        await db.query(
          `INSERT INTO violation_daily_count (team_id, day, class, severity, shard, count)
           VALUES ($1, $2, 'V1', 'critical', 5, 2), ($1, $2, 'V1', 'critical', 6, 3)`,
          [team.teamId, day],
        );
      }
      const rows = async () =>
        (
          await db.query<{ row: string }>(
            `SELECT day::text || ' ' || status::text || ' ' || shard || '=' || count AS row
             FROM run_daily_status_count WHERE team_id = $1
             UNION ALL
             SELECT day::text || ' ' || class || '/' || severity || ' ' || shard || '=' || count
             FROM violation_daily_count WHERE team_id = $1 ORDER BY 1`,
            [team.teamId],
          )
        ).rows.map((r) => r.row);
      const todayBefore = (await rows()).filter((r) => r.startsWith(today));

      // A writer holds last week's SUCCEEDED row on shard 3: that row waits for a later fold.
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM run_daily_status_count WHERE team_id = $1 AND day = $2 AND status = 'SUCCEEDED' AND shard = 3 FOR UPDATE`,
        [team.teamId, lastWeek],
      );
      const maintenance = new DashboardMaintenance(
        new DashboardRepository(api.db),
        { now: () => now },
        pino({ level: 'silent' }),
      );
      await maintenance.foldShards();
      const afterFirst = await rows();
      await holder.query('COMMIT');
      await maintenance.foldShards();
      const afterSecond = await rows();

      // Yesterday: one row per key with the sums (QUEUED folds to 0); today untouched.
      expect(afterFirst.filter((r) => r.startsWith(yesterday))).toEqual([
        `${yesterday} QUEUED 0=0`,
        `${yesterday} SUCCEEDED 0=5`,
        `${yesterday} V1/critical 0=5`,
      ]);
      expect(afterFirst.filter((r) => r.startsWith(today))).toEqual(todayBefore);
      expect(afterFirst.filter((r) => r.startsWith(lastWeek))).toEqual([
        `${lastWeek} QUEUED 0=0`,
        `${lastWeek} SUCCEEDED 0=1`,
        `${lastWeek} SUCCEEDED 3=4`,
        `${lastWeek} V1/critical 0=5`,
      ]);
      expect(afterSecond.filter((r) => r.startsWith(lastWeek))).toEqual([
        `${lastWeek} QUEUED 0=0`,
        `${lastWeek} SUCCEEDED 0=5`,
        `${lastWeek} V1/critical 0=5`,
      ]);
    } finally {
      await Promise.all([db.end(), holder.end()]);
    }
  });
  it('lets a team be deleted with its runs and triage decisions (the counters go with it)', async () => {
    const team = await newTestTeam(api.harness);
    const run = await team.queuedRun(await team.scenario('deleted'));
    await completeRun(api.db, run, { violations: criticals('gone', 1) });
    await api.db.$executeRaw`
      INSERT INTO violation_triage (team_id, fingerprint, state) VALUES (${team.teamId}::uuid, 'gone-0', 'FIXED')`;

    await api.db.$executeRaw`DELETE FROM team WHERE id = ${team.teamId}::uuid`;

    const left = await api.db.$queryRaw<Array<{ n: bigint }>>`
      SELECT (SELECT count(*) FROM run_daily_status_count WHERE team_id = ${team.teamId}::uuid)
           + (SELECT count(*) FROM team_dashboard_version WHERE team_id = ${team.teamId}::uuid)
           + (SELECT count(*) FROM run WHERE team_id = ${team.teamId}::uuid) AS n`;
    expect(left[0]!.n).toBe(0n);
  });
});
