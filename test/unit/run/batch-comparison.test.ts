import { buildBatchComparison, finalBatchStatus } from '../../../src/modules/run/run.batch';
import type { Run, RunResultSummary } from '../../../src/modules/run/run.types';

// The batch comparison is pure: columns in run order, violations by fingerprint with the runs that
// have and lack them, and whether every succeeded run produced the same result.
function run(id: string, overrides: Partial<Run> = {}): Run {
  return {
    id,
    teamId: 't',
    scenarioId: 's',
    scenarioVersionId: 'v',
    batchId: 'b',
    profile: 'lb',
    overlays: [],
    seed: 7n,
    engineVersion: '1',
    status: 'SUCCEEDED',
    trigger: 'BATCH',
    idempotencyKey: null,
    verdict: null,
    summary: null,
    attempts: 1,
    progress: 1,
    revision: 3,
    errorCode: null,
    errorMessage: null,
    resultHash: `hash-${id}`,
    createdAt: new Date(0),
    startedAt: new Date(0),
    finishedAt: new Date(1),
    timeLimitMs: null,
    operationsCap: null,
    ...overrides,
  };
}

/** A violation summary: only class, severity, fingerprint and bytes matter to these tests. */
function v(cls: string, severity: string, fingerprint: string, bytesExposed: bigint) {
  return {
    class: cls,
    severity,
    fingerprint,
    bytesExposed,
    deviceId: 'storvsc0',
    dataClass: 'secret',
    path: 'swiotlb_tbl_map_single',
    rule: 'bounce',
    count: 1n,
  };
}

const metrics = {
  nslabs: 32768,
  hiwater: 10,
  failedMaps: 0n,
  failedCoherentAllocs: 0n,
  bouncedBytesToDevice: 4096n,
  bouncedBytesFromDevice: 0n,
};

describe('buildBatchComparison', () => {
  it('puts one column per run in order, with violations counted by class/severity and metrics as strings', () => {
    const summaries = new Map<string, RunResultSummary>([
      ['a', { violations: [v('V1', 'critical', 'f1', 100n), v('V1', 'critical', 'f2', 28n)], metrics }],
      ['b', { violations: [], metrics }],
    ]);

    const comparison = buildBatchComparison(
      [run('a', { overlays: [{ name: 'device-cc-accepted', variant: 'dan' }] }), run('b')],
      summaries,
    );

    expect(
      comparison.columns.map((c) => [c.runId, c.overlays, c.violationCount, c.violationsByClass, c.bytesExposed]),
    ).toEqual([
      ['a', ['device-cc-accepted:dan'], 2, { 'V1/critical': 2 }, '128'],
      ['b', [], 0, {}, '0'],
    ]);
    expect(comparison.columns[0]?.metrics?.bouncedBytesToDevice).toBe('4096');
  });

  it('lists each fingerprint with the runs that have it and the runs that do not', () => {
    const summaries = new Map<string, RunResultSummary>([
      ['a', { violations: [v('V2', 'high', 'f9', 1n)], metrics }],
      ['b', { violations: [], metrics }],
      ['c', { violations: [v('V2', 'high', 'f9', 1n)], metrics }],
    ]);

    const comparison = buildBatchComparison([run('a'), run('b'), run('c')], summaries);

    expect(comparison.violations).toEqual([
      { fingerprint: 'f9', class: 'V2', severity: 'high', presentIn: ['a', 'c'], missingFrom: ['b'] },
    ]);
  });

  it('says whether every succeeded run produced the same result hash, ignoring runs without results', () => {
    const same = buildBatchComparison(
      [
        run('a', { resultHash: 'h' }),
        run('b', { resultHash: 'h' }),
        run('c', { status: 'CANCELLED', resultHash: null }),
      ],
      new Map(),
    );
    const different = buildBatchComparison([run('a'), run('b')], new Map());

    expect(same.identicalResults).toBe(true);
    expect(different.identicalResults).toBe(false);
    expect(same.columns[2]).toMatchObject({ status: 'CANCELLED', metrics: null, violationCount: 0 });
  });
});

describe('finalBatchStatus', () => {
  it('is SUCCEEDED only when every run succeeded', () => {
    expect(finalBatchStatus([{ status: 'SUCCEEDED' }, { status: 'SUCCEEDED' }])).toBe('SUCCEEDED');
    expect(finalBatchStatus([{ status: 'SUCCEEDED' }, { status: 'TIMED_OUT' }])).toBe('FAILED');
  });

  it('compares every run after the first with the first through the one comparison (moved, fixed, metric direction)', () => {
    const moved = { ...v('V1', 'critical', 'under-lb', 10n), path: 'dma_direct_map_phys' };
    const summaries = new Map<string, RunResultSummary>([
      ['a', { violations: [v('V1', 'critical', 'under-la-phys', 10n)], metrics }],
      ['b', { violations: [moved], metrics: { ...metrics, failedMaps: 3n } }],
      ['c', { violations: [], metrics }],
    ]);

    const { changes } = buildBatchComparison([run('a'), run('b'), run('c')], summaries);

    expect(
      changes.map((c) => [
        c.runId,
        c.findings.map((f) => `${f.status}:${f.baselineFingerprint ?? ''}>${f.candidateFingerprint ?? ''}`),
      ]),
    ).toEqual([
      ['b', ['moved:under-la-phys>under-lb']],
      ['c', ['fixed:under-la-phys>']],
    ]);
    expect(changes[0]?.metrics.find((m) => m.key === 'failedMaps')).toMatchObject({ delta: '3', direction: 'worse' });
  });
});
