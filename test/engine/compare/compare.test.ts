import {
  compareFindings,
  compareMetrics,
  compareResultSets,
  type ComparableFinding,
  type ComparedFinding,
  metricDirection,
  metricPreference,
} from '../../../src/engine/index';

// The one comparison: findings paired by fingerprint, then by exposure (class, device, data class,
// severity) with the same path and rule (persisting across kernels), then by exposure alone (moved).
function finding(fingerprint: string, overrides: Partial<ComparableFinding> = {}): ComparableFinding {
  return {
    fingerprint,
    class: 'V1',
    deviceId: 'storvsc0',
    dataClass: 'secret',
    severity: 'critical',
    path: 'swiotlb_tbl_map_single',
    rule: 'bounce',
    count: 10n,
    bytesExposed: 4096n,
    ...overrides,
  };
}

const statuses = (list: readonly ComparedFinding[]): string[] =>
  list.map((c) => `${c.status}:${(c.candidate ?? c.baseline)?.fingerprint ?? ''}`);

describe('compareFindings', () => {
  it('keeps a fingerprint in both sets as persisting, and marks growth', () => {
    const compared = compareFindings([finding('a')], [finding('a', { bytesExposed: 8192n })]);

    expect(statuses(compared)).toEqual(['persisting:a']);
    expect(compared[0]?.grew).toBe(true);
  });

  it('reports a new exposure as new and a vanished one as fixed', () => {
    expect(statuses(compareFindings([finding('gone')], [finding('fresh', { deviceId: 'nvme0' })]))).toEqual([
      'new:fresh',
      'fixed:gone',
    ]);
  });

  it('pairs the same exposure through another path or rule as moved, not new plus fixed (one to one)', () => {
    const baseline = [finding('old', { path: 'dma_direct_map_phys' })];
    const candidate = [finding('via-swiotlb'), finding('second', { rule: 'other' })];

    const compared = compareFindings(baseline, candidate);

    expect(statuses(compared)).toEqual(['moved:via-swiotlb', 'new:second']);
    expect(compared[0]?.baseline?.fingerprint).toBe('old');
  });

  it('treats the same exposure, path and rule under another kernel (another fingerprint) as persisting', () => {
    const compared = compareFindings(
      [finding('fp-under-la-phys', { rule: 'r' }), finding('other', { path: 'p2' })],
      [finding('fp-under-lb', { path: 'p2' })],
    );

    expect(statuses(compared)).toEqual(['persisting:fp-under-lb', 'fixed:fp-under-la-phys']);
  });

  it('does not pair across severity or data class', () => {
    expect(
      statuses(
        compareFindings(
          [finding('a', { severity: 'high', path: 'x' })],
          [finding('b', { dataClass: 'public', path: 'y' })],
        ),
      ),
    ).toEqual(['new:b', 'fixed:a']);
  });

  it("calls a new finding reopened when the caller's history says it was fixed before", () => {
    const compared = compareFindings([], [finding('back'), finding('first-time', { deviceId: 'nic0' })], {
      wasFixedBefore: (fp) => fp === 'back',
    });

    expect(statuses(compared)).toEqual(['reopened:back', 'new:first-time']);
  });
});

describe('metric directions', () => {
  it('knows that failed maps, violations, exposed bytes, cost and the high-water mark are lower-is-better', () => {
    for (const key of [
      'failedMaps',
      'violations.V1',
      'bytesExposed',
      'cost.bounceCopyNs',
      'swiotlb.hiwater',
      'failedCoherentAllocs',
    ])
      expect(metricPreference(key)).toBe('lower-is-better');
    expect(metricPreference('swiotlb.nslabs')).toBe('neutral');
  });

  it('turns a sign into better, worse, neutral or unchanged', () => {
    expect(metricDirection('failedMaps', -1)).toBe('better');
    expect(metricDirection('failedMaps', 1)).toBe('worse');
    expect(metricDirection('swiotlb.nslabs', 1)).toBe('neutral');
    expect(metricDirection('failedMaps', 0)).toBe('unchanged');
  });

  it('takes exact decimal deltas of bigint text and gives each a direction', () => {
    const deltas = compareMetrics(
      { failedMaps: '18446744073709551615', 'cost.bounceCopyNs': 10, label: 'x' },
      { failedMaps: '18446744073709551616', 'cost.bounceCopyNs': 7.5, label: 'y' },
    );

    expect(deltas).toEqual([
      { key: 'cost.bounceCopyNs', baseline: '10', candidate: '7.5', delta: '-2.5', direction: 'better' },
      {
        key: 'failedMaps',
        baseline: '18446744073709551615',
        candidate: '18446744073709551616',
        delta: '1',
        direction: 'worse',
      },
      { key: 'label', baseline: 'x', candidate: 'y', delta: null, direction: 'neutral' },
    ]);
  });
});

describe('compareResultSets', () => {
  it('compares N columns against one baseline', () => {
    const baseline = { label: 'la-phys', findings: [finding('a')], metrics: { failedMaps: 2 } };
    const columns = compareResultSets(baseline, [
      { label: 'lb', findings: [finding('a')], metrics: { failedMaps: 0 } },
      { label: 'lb+bypass', findings: [], metrics: { failedMaps: 5 } },
    ]);

    expect(columns.map((c) => [c.label, statuses(c.findings), c.metrics[0]?.direction])).toEqual([
      ['lb', ['persisting:a'], 'better'],
      ['lb+bypass', ['fixed:a'], 'worse'],
    ]);
  });
});
