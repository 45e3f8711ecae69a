import { useApiHarness } from '../../support/api-harness';
import { buildViolation, completeRun, newTestTeam } from '../../support/factories';

// Issue 16 through GraphQL: verdicts stored with results (filterable, with their counts), run-vs-run
// comparison with moved findings and metric directions, and idempotency keys bound to their input.
describe('verdicts, compareRuns and idempotency', () => {
  const api = useApiHarness();

  it('stores each run verdict with its levels and counts, and filters runs by verdict and by level', async () => {
    const team = await newTestTeam(api.harness);
    const scenarioId = await team.scenario('verdicts');
    const secrets = await team.queuedRun(scenarioId);
    const stale = await team.queuedRun(scenarioId);
    const clean = await team.queuedRun(scenarioId);
    await team.queuedRun(scenarioId); // still QUEUED: no verdict
    await completeRun(api.db, secrets, {
      violations: [
        buildViolation({ fingerprint: 's1', count: 3n, bytesExposed: 12288n }),
        buildViolation({ fingerprint: 's2', severity: 'high', dataClass: 'stale', count: 2n, bytesExposed: 8192n }),
      ],
    });
    // A high-severity stale exposure alone: exposes-data, not clean.
    await completeRun(api.db, stale, {
      violations: [buildViolation({ fingerprint: 't1', class: 'V2', severity: 'high', dataClass: 'stale' })],
    });
    await completeRun(api.db, clean, {
      violations: [buildViolation({ fingerprint: 'c1', class: 'V9', severity: 'info', dataClass: 'sensitive' })],
    });

    const byId = await api.harness.gql<{
      run: {
        verdict: string;
        summary: {
          verdict: string;
          levels: string[];
          critical: number;
          high: number;
          info: number;
          violations: number;
          byClass: Array<{ class: string; operations: string }>;
          bytesExposed: string;
        };
      };
    }>(
      team.token,
      'query($id: UUID!) { run(id: $id) { verdict summary { verdict levels critical high info violations byClass { class operations } bytesExposed } } }',
      { id: secrets.id },
    );
    const ids = async (filter: Record<string, unknown>): Promise<string[]> => {
      const page = await api.harness.gql<{ runs: { totalCount: number; edges: Array<{ node: { id: string } }> } }>(
        team.token,
        'query($filter: RunFilter) { runs(filter: $filter) { totalCount edges { node { id } } } }',
        { filter },
      );
      expect(page.errors).toBeUndefined();
      expect(page.data.runs.totalCount).toBe(page.data.runs.edges.length);
      return page.data.runs.edges.map((e) => e.node.id).sort();
    };

    expect(byId.errors).toBeUndefined();
    expect(byId.data.run.verdict).toBe('EXPOSES_SECRETS');
    expect(byId.data.run.summary).toEqual({
      verdict: 'EXPOSES_SECRETS',
      levels: ['EXPOSES_SECRETS', 'EXPOSES_DATA'],
      critical: 1,
      high: 1,
      info: 0,
      violations: 2,
      byClass: [{ class: 'V1', operations: '5' }],
      bytesExposed: '20480',
    });
    expect(await ids({ verdict: ['EXPOSES_SECRETS'] })).toEqual([secrets.id]);
    expect(await ids({ verdict: ['EXPOSES_DATA'] })).toEqual([stale.id]);
    expect(await ids({ verdict: ['CLEAN'] })).toEqual([clean.id]);
    // By level: the run that exposes secrets also exposes data.
    expect(await ids({ verdictLevel: ['EXPOSES_DATA'] })).toEqual([secrets.id, stale.id].sort());
    expect(await ids({ verdict: ['FAILING', 'DEGRADED'] })).toEqual([]);
  });

  it('compares two runs with moved findings, metric directions and a one-line summary', async () => {
    const team = await newTestTeam(api.harness);
    const scenarioId = await team.scenario('moved');
    const a = await team.queuedRun(scenarioId, { profile: 'la-phys' });
    const b = await team.queuedRun(scenarioId, { profile: 'lb' });
    await completeRun(api.db, a, {
      violations: [
        buildViolation({ fingerprint: 'la-a4', rule: 'A4', path: 'dma_direct_map_phys → swiotlb_map' }),
        buildViolation({ fingerprint: 'gone', deviceId: 'nvme1' }),
      ],
      metrics: { all: { failedMaps: 0, 'swiotlb.hiwater': 100, 'swiotlb.nslabs': 32768 } },
    });
    await completeRun(api.db, b, {
      violations: [
        buildViolation({ fingerprint: 'lb-b5', rule: 'B5', path: 'dma_map_phys → swiotlb_map' }),
        buildViolation({ fingerprint: 'fresh', deviceId: 'nvme9', severity: 'high', dataClass: 'stale' }),
      ],
      metrics: { all: { failedMaps: 12, 'swiotlb.hiwater': 40, 'swiotlb.nslabs': 65536 } },
    });

    const response = await api.harness.gql<{
      compareRuns: {
        newViolations: Array<{ fingerprint: string }>;
        fixedViolations: Array<{ fingerprint: string }>;
        persistingViolations: Array<{ fingerprint: string }>;
        movedViolations: Array<{
          from: { fingerprint: string; rule: string };
          to: { fingerprint: string; rule: string };
        }>;
        metricDeltas: Array<{ metric: string; delta: number; direction: string }>;
        summary: string;
      };
    }>(
      team.token,
      `query($a: UUID!, $b: UUID!) { compareRuns(a: $a, b: $b) {
        newViolations { fingerprint } fixedViolations { fingerprint } persistingViolations { fingerprint }
        movedViolations { from { fingerprint rule } to { fingerprint rule } }
        metricDeltas { metric delta direction } summary } }`,
      { a: a.id, b: b.id },
    );

    expect(response.errors).toBeUndefined();
    const c = response.data.compareRuns;
    expect(c.movedViolations).toEqual([
      { from: { fingerprint: 'la-a4', rule: 'A4' }, to: { fingerprint: 'lb-b5', rule: 'B5' } },
    ]);
    expect(c.newViolations.map((v) => v.fingerprint)).toEqual(['fresh']);
    expect(c.fixedViolations.map((v) => v.fingerprint)).toEqual(['gone']);
    expect(c.persistingViolations).toEqual([]);
    expect(c.metricDeltas).toEqual([
      { metric: 'failedMaps', delta: 12, direction: 'WORSE' },
      { metric: 'swiotlb.hiwater', delta: -60, direction: 'BETTER' },
      { metric: 'swiotlb.nslabs', delta: 32768, direction: 'NEUTRAL' },
    ]);
    expect(c.summary).toBe('vs la-phys: fixed 1, new 1, moved 1, failures ±0');
  });

  it('returns the existing run for a reused key with the same input and refuses it with different input', async () => {
    const team = await newTestTeam(api.harness);
    const first = await team.scenario('idem-a');
    const second = await team.scenario('idem-b');
    const submit = (input: Record<string, unknown>) =>
      api.harness.gql<{
        submitRun: {
          __typename: string;
          created?: boolean;
          run?: { id: string };
          userErrors?: Array<{ path: string[]; code: string; message: string }>;
        };
      }>(
        team.token,
        `mutation($input: SubmitRunInput!) { submitRun(input: $input) { __typename
          ... on RunSubmitted { created run { id } } ... on InputRejected { userErrors { path code message } } } }`,
        { input },
      );

    const original = await submit({ scenarioId: first, idempotencyKey: 'ci-7', overrides: { seed: '5' } });
    const again = await submit({ scenarioId: first, idempotencyKey: 'ci-7', overrides: { seed: '5' } });
    const otherScenario = await submit({ scenarioId: second, idempotencyKey: 'ci-7', overrides: { seed: '5' } });
    const otherSeed = await submit({ scenarioId: first, idempotencyKey: 'ci-7', overrides: { seed: '6' } });
    const runs = await api.harness.gql<{ runs: { totalCount: number } }>(team.token, '{ runs { totalCount } }');

    expect(original.data.submitRun.created).toBe(true);
    expect(again.data.submitRun).toMatchObject({
      __typename: 'RunSubmitted',
      created: false,
      run: original.data.submitRun.run,
    });
    for (const refused of [otherScenario, otherSeed]) {
      expect(refused.data.submitRun.__typename).toBe('InputRejected');
      expect(refused.data.submitRun.userErrors?.[0]).toMatchObject({
        path: ['input', 'idempotencyKey'],
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: expect.stringContaining(original.data.submitRun.run!.id),
      });
    }
    expect(runs.data.runs.totalCount).toBe(1);
  });
});
