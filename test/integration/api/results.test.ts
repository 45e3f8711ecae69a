import { useApiHarness } from '../../support/api-harness';
import { buildViolation, completeRun, newTestTeam } from '../../support/factories';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { type Run, runUpdatedChannel } from '../../../src/modules/run/run.types';
import { createRunUpdatedEventSource } from '../../../src/modules/run/run.updates';
import { listenForNotifications } from '../../../src/platform/pg-notifications';
import pino from 'pino';

/** Polls `condition` every 50 ms for up to 10 s; fails naming what it waited for. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('results, triage and the dashboard', () => {
  const api = useApiHarness();

  it('announces every change of status, progress or attempts at commit on PostgreSQL, with the run as it stands', async () => {
    const team = await newTestTeam(api.harness);
    const run = await team.queuedRun(await team.scenario('notified'));
    const other = await team.queuedRun(await team.scenario('progressing'));
    const quiet = await team.queuedRun(await team.scenario('not-notified'));
    const runs = new RunRepository(api.db);
    const listener = listenForNotifications({
      databaseUrl: process.env['DATABASE_URL']!,
      channels: [runUpdatedChannel],
      logger: pino({ level: 'silent' }),
    });
    const events = createRunUpdatedEventSource(listener);
    const heard: string[] = [];
    const states: string[] = [];
    const carried = new Map<string, Run>(); // the newest run (by revision) the events carried, by id
    const unsubscribe = events.subscribe((event) => {
      heard.push(event.runId ?? '(any)');
      if (event.run && (carried.get(event.run.id)?.revision ?? -1) < event.run.revision)
        carried.set(event.run.id, event.run);
      if (event.run)
        states.push(
          `${event.run.id}:${event.run.status}:${event.run.progress}:${event.run.attempts}:r${event.run.revision}`,
        );
    });
    try {
      // The listener connects asynchronously: a NOTIFY of our own shows when it is listening.
      await until(async () => {
        await api.db.$executeRaw`SELECT pg_notify('dmasim_run_updated', 'probe')`;
        return heard.includes('probe');
      }, 'the listener to hear a probe notification');
      const start = heard.length;

      // QUEUED → RUNNING, then RUNNING → SUCCEEDED with the result: the worker's two statements,
      // which send their notification after commit instead of the trigger (once each, not twice).
      await completeRun(api.db, run);
      // The RUNNING notification is sent without the writer waiting for it, so it may come after
      // the SUCCEEDED one (subscribers order them by revision): both are heard before going on.
      await until(() => heard.filter((h) => h === run.id).length === 2, 'both notifications of the run');
      await completeRun(api.db, run); // a duplicate completion writes nothing, so announces nothing
      await runs.markRunning(other.id, new Date());
      await runs.updateProgress(other.id, 0.5, new Date());
      await runs.updateProgress(other.id, 0.5, new Date()); // only the heartbeat moves: nothing to see
      await runs.cancel(team.teamId, other.id, new Date());
      // Too large for a notification with the run in it (the 8000-byte limit): the id alone, and the
      // write still commits.
      await runs.markRunning(quiet.id, new Date());
      const longMessage = 'x'.repeat(9000);
      expect(
        await runs.finishWithoutResult(
          quiet.id,
          'FAILED',
          { code: 'SPEC_INVALID', message: longMessage },
          0,
          new Date(),
        ),
      ).toBe(true);
      await api.db.$executeRaw`SELECT pg_notify('dmasim_run_updated', 'end')`;
      await until(() => heard.includes('end'), 'the closing notification');

      // Probes sent while the listener connected may arrive late; they are not what is checked.
      expect(heard.slice(start).filter((h) => h !== 'probe' && h !== '(any)')).toEqual([
        run.id,
        run.id,
        other.id,
        other.id,
        other.id,
        quiet.id,
        quiet.id,
        'end',
      ]);
      // Each carries the run as the change left it, read back exactly as the repository maps runs;
      // the oversized one carries only the id.
      // The revision counts the run's visible changes (the heartbeat-only write is not one).
      expect(states.slice(0, 2).sort()).toEqual([`${run.id}:RUNNING:0:1:r1`, `${run.id}:SUCCEEDED:1:1:r2`]);
      expect(states.slice(2)).toEqual([
        `${other.id}:RUNNING:0:1:r1`,
        `${other.id}:RUNNING:0.5:1:r2`,
        `${other.id}:CANCELLED:0.5:1:r3`,
        `${quiet.id}:RUNNING:0:1:r1`,
      ]);
      expect((await runs.findById(team.teamId, quiet.id))?.revision).toBe(2);
      expect(carried.get(run.id)).toEqual(await runs.findById(team.teamId, run.id));
      expect(carried.get(other.id)).toEqual(await runs.findById(team.teamId, other.id));
    } finally {
      unsubscribe();
      await events.close();
      await listener.close();
    }
  });

  it('stores a result once: a duplicate completion writes nothing', async () => {
    const team = await newTestTeam(api.harness);
    const run = await team.queuedRun(await team.scenario('once'));

    const first = await completeRun(api.db, run, { violations: [buildViolation()] });
    const second = await completeRun(api.db, run, { violations: [buildViolation()] });
    const violations = await api.harness.gql<{ violations: { totalCount: number } }>(
      team.token,
      '{ violations { totalCount } }',
    );
    const status = await api.harness.gql<{ run: { status: string; resultHash: string; progress: number } }>(
      team.token,
      'query($id: UUID!) { run(id: $id) { status resultHash progress } }',
      { id: run.id },
    );

    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(violations.data.violations.totalCount).toBe(1);
    expect(status.data.run).toEqual({ status: 'SUCCEEDED', resultHash: 'f'.repeat(64), progress: 1 });
  });

  it('returns report, metrics and bucketed series of a run', async () => {
    const team = await newTestTeam(api.harness);
    const run = await team.queuedRun(await team.scenario('metrics'));
    const samples = Array.from({ length: 100 }, (_, i) => ({ metric: 'swiotlb.used', t: BigInt(i * 10), value: i }));
    await completeRun(api.db, run, {
      metrics: { nslabs: 262144, hiwater: 5000, bouncedBytesToDevice: 2n ** 40n },
      samples,
    });

    const response = await api.harness.gql<{
      report: { resultHash: string };
      metrics: { nslabs: number; hiwater: number; bouncedBytesToDevice: string; all: Record<string, unknown> };
      series: Array<{ metric: string; points: Array<{ t: string; value: number }> }>;
    }>(
      team.token,
      'query($id: UUID!) { report(runId: $id) metrics(runId: $id) { nslabs hiwater bouncedBytesToDevice all } series(runId: $id, metrics: ["swiotlb.used", "absent"], buckets: 10) { metric points { t value } } }',
      { id: run.id },
    );

    expect(response.errors).toBeUndefined();
    expect(response.data.report.resultHash).toBe('f'.repeat(64));
    expect(response.data.metrics).toMatchObject({
      nslabs: 262144,
      hiwater: 5000,
      bouncedBytesToDevice: String(2n ** 40n),
    });
    const used = response.data.series[0]!;
    // 100 samples at t = 0..990 in 10 equal buckets of 10 samples: bucket k averages values 10k..10k+9.
    expect(used.points).toHaveLength(10);
    expect(used.points[0]).toEqual({ t: '90', value: 4.5 });
    expect(used.points[9]).toEqual({ t: '990', value: 94.5 });
    expect(response.data.series[1]).toEqual({ metric: 'absent', points: [] });
  });

  it('filters violations by class, severity, device, run and triage state', async () => {
    const team = await newTestTeam(api.harness);
    const run = await team.queuedRun(await team.scenario('filters'));
    await completeRun(api.db, run, {
      violations: [
        buildViolation({ fingerprint: 'a', class: 'V1', severity: 'critical', deviceId: 'storvsc0' }),
        buildViolation({ fingerprint: 'b', class: 'V2', severity: 'high', deviceId: 'nvme0', dataClass: 'sensitive' }),
        buildViolation({ fingerprint: 'c', class: 'V0', severity: 'info', deviceId: 'nvme0' }),
      ],
    });
    await api.harness.gql(team.token, 'mutation { acknowledgeViolation(fingerprint: "b") { __typename } }');

    const count = async (filter: string) =>
      (
        await api.harness.gql<{ violations: { totalCount: number } }>(
          team.token,
          `{ violations(filter: ${filter}) { totalCount } }`,
        )
      ).data.violations.totalCount;

    expect(await count('{ class: ["V1", "V2"] }')).toBe(2);
    expect(await count('{ severity: ["critical"] }')).toBe(1);
    expect(await count('{ deviceId: "nvme0" }')).toBe(2);
    expect(await count(`{ runId: "${run.id}" }`)).toBe(3);
    expect(await count('{ triageState: [OPEN] }')).toBe(2);
    expect(await count('{ triageState: [ACKNOWLEDGED] }')).toBe(1);
    expect(await count('{ fingerprint: "c" }')).toBe(1);
  });

  it('waives with a reason, counts an expired waiver as open again, and reopens', async () => {
    const team = await newTestTeam(api.harness);
    const run = await team.queuedRun(await team.scenario('triage'));
    await completeRun(api.db, run, {
      violations: [buildViolation({ fingerprint: 'w1' }), buildViolation({ fingerprint: 'w2' })],
    });
    const future = new Date(Date.now() + 86_400_000).toISOString();

    const noReason = await api.harness.gql<{ waiveViolation: { userErrors: Array<{ path: string[] }> } }>(
      team.token,
      'mutation { waiveViolation(input: { fingerprint: "w1", reason: "" }) { ... on InputRejected { userErrors { path } } } }',
    );
    const waived = await api.harness.gql<{ waiveViolation: { state: string; expiresAt: string } }>(
      team.token,
      `mutation { waiveViolation(input: { fingerprint: "w1", reason: "host is trusted in this lab", expiresAt: "${future}" }) { ... on Triage { state expiresAt } } }`,
    );
    await api.harness.gql(
      team.token,
      'mutation { waiveViolation(input: { fingerprint: "w2", reason: "temporary" }) { __typename } }',
    );
    await api.db.violationTriage.updateMany({
      where: { fingerprint: 'w2', teamId: run.teamId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const states = await api.harness.gql<{
      violations: { edges: Array<{ node: { fingerprint: string; triageState: string } }> };
    }>(team.token, '{ violations { edges { node { fingerprint triageState } } } }');
    const reopened = await api.harness.gql<{ reopenViolation: { state: string } }>(
      team.token,
      'mutation { reopenViolation(fingerprint: "w1") { ... on Triage { state } } }',
    );
    const unknown = await api.harness.gql(
      team.token,
      'mutation { acknowledgeViolation(fingerprint: "never-seen") { __typename } }',
    );

    expect(noReason.data.waiveViolation.userErrors[0]?.path).toEqual(['input', 'reason']);
    expect(waived.data.waiveViolation).toEqual({ state: 'WAIVED', expiresAt: future });
    expect(
      Object.fromEntries(states.data.violations.edges.map((e) => [e.node.fingerprint, e.node.triageState])),
    ).toEqual({ w1: 'WAIVED', w2: 'OPEN' });
    expect(reopened.data.reopenViolation.state).toBe('OPEN');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('compares two runs by fingerprint and metric', async () => {
    const team = await newTestTeam(api.harness);
    const scenarioId = await team.scenario('compare');
    const a = await team.queuedRun(scenarioId);
    const b = await team.queuedRun(scenarioId);
    await completeRun(api.db, a, {
      violations: [buildViolation({ fingerprint: 'kept' }), buildViolation({ fingerprint: 'gone' })],
      metrics: { all: { 'swiotlb.hiwater': 100, failedMaps: 0 } },
    });
    // 'fresh' is another exposure (device): one of the same exposure and path would pair with 'gone' as the same finding under another kernel.
    await completeRun(api.db, b, {
      violations: [
        buildViolation({ fingerprint: 'kept' }),
        buildViolation({ fingerprint: 'fresh', deviceId: 'nvme9' }),
      ],
      metrics: { all: { 'swiotlb.hiwater': 150, failedMaps: 0 } },
    });

    const response = await api.harness.gql<{
      compareRuns: {
        newViolations: Array<{ fingerprint: string }>;
        fixedViolations: Array<{ fingerprint: string }>;
        persistingViolations: Array<{ fingerprint: string }>;
        metricDeltas: Array<{ metric: string; a: number; b: number; delta: number }>;
      };
    }>(
      team.token,
      'query($a: UUID!, $b: UUID!) { compareRuns(a: $a, b: $b) { newViolations { fingerprint } fixedViolations { fingerprint } persistingViolations { fingerprint } metricDeltas { metric a b delta } } }',
      { a: a.id, b: b.id },
    );

    expect(response.data.compareRuns.newViolations.map((v) => v.fingerprint)).toEqual(['fresh']);
    expect(response.data.compareRuns.fixedViolations.map((v) => v.fingerprint)).toEqual(['gone']);
    expect(response.data.compareRuns.persistingViolations.map((v) => v.fingerprint)).toEqual(['kept']);
    expect(response.data.compareRuns.metricDeltas).toEqual([{ metric: 'swiotlb.hiwater', a: 100, b: 150, delta: 50 }]);
  });

  it('aggregates the dashboard for the caller team only', async () => {
    const mine = await newTestTeam(api.harness);
    const theirs = await newTestTeam(api.harness);
    const risky = await mine.queuedRun(await mine.scenario('risky'));
    const calm = await mine.queuedRun(await mine.scenario('calm'));
    await mine.queuedRun(await mine.scenario('still-queued'));
    const foreign = await theirs.queuedRun(await theirs.scenario('foreign'));
    await completeRun(api.db, risky, {
      violations: [
        buildViolation({ fingerprint: 'r1' }),
        buildViolation({ fingerprint: 'r2' }),
        buildViolation({ fingerprint: 'r3', severity: 'high' }),
      ],
      metrics: { nslabs: 1000, hiwater: 500 },
    });
    await completeRun(api.db, calm, {
      violations: [buildViolation({ fingerprint: 'c1' })],
      metrics: { nslabs: 1000, hiwater: 100 },
    });
    await completeRun(api.db, foreign, { violations: [buildViolation({ fingerprint: 'f1' })] });
    await api.harness.gql(
      mine.token,
      'mutation { waiveViolation(input: { fingerprint: "c1", reason: "accepted" }) { __typename } }',
    );

    const response = await api.harness.gql<{
      dashboard: {
        runsByStatus: Array<{ status: string; count: number }>;
        violationsByClass: Array<{ class: string; severity: string; count: number }>;
        riskiestScenarios: Array<{ scenario: { name: string }; openCriticalViolations: number }>;
        headroom: Array<{ scenario: { name: string }; points: Array<{ hiwaterFraction: number }> }>;
      };
    }>(
      mine.token,
      '{ dashboard { runsByStatus { status count } violationsByClass { class severity count } riskiestScenarios { scenario { name } openCriticalViolations } headroom { scenario { name } points { hiwaterFraction } } } }',
    );

    const d = response.data.dashboard;
    expect(Object.fromEntries(d.runsByStatus.map((r) => [r.status, r.count]))).toEqual({ QUEUED: 1, SUCCEEDED: 2 });
    expect(d.violationsByClass).toEqual(
      expect.arrayContaining([
        { class: 'V1', severity: 'critical', count: 3 },
        { class: 'V1', severity: 'high', count: 1 },
      ]),
    );
    expect(d.violationsByClass.reduce((n, r) => n + r.count, 0)).toBe(4);
    expect(d.riskiestScenarios).toEqual([{ scenario: { name: 'risky' }, openCriticalViolations: 2 }]);
    expect(
      Object.fromEntries(d.headroom.map((h) => [h.scenario.name, h.points.map((p) => p.hiwaterFraction)])),
    ).toEqual({ risky: [0.5], calm: [0.1] });
  });
});
