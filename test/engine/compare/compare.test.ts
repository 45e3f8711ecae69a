import {
  compareFindings,
  compareMetrics,
  compareResultSets,
  type ComparableFinding,
  type ComparedFinding,
  findingRows,
  metricDirection,
  metricPreference,
  metricRows,
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

  it('knows that a larger largest free run is better (fragmentation headroom)', () => {
    expect(metricPreference('swiotlb.largestFreeRun')).toBe('higher-is-better');
    expect(metricDirection('swiotlb.largestFreeRun', 1)).toBe('better');
    expect(metricDirection('swiotlb.largestFreeRun', -1)).toBe('worse');
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

describe('findingRows', () => {
  it('lines N columns up: one row per baseline finding in every column, then candidate-only fingerprints once', () => {
    const baseline = [finding('kept'), finding('gone', { deviceId: 'nvme0' }), finding('mv', { path: 'p1' })];
    const columns = compareResultSets(
      { label: 'base', findings: baseline, metrics: {} },
      [
        {
          label: 'b',
          findings: [
            finding('kept', { count: 11n }),
            finding('mv2', { path: 'p2' }),
            finding('fresh', { deviceId: 'nic0' }),
          ],
          metrics: {},
        },
        {
          label: 'c',
          findings: [
            finding('gone', { deviceId: 'nvme0' }),
            finding('fresh', { deviceId: 'nic0' }),
            finding('back', { class: 'V3' }),
          ],
          metrics: {},
        },
      ],
      { wasFixedBefore: (fp) => fp === 'back' },
    );

    const rows = findingRows(baseline, columns).map((row) => [
      row.baseline?.fingerprint ?? `only ${row.fingerprint ?? ''}`,
      ...row.cells.map((cell) =>
        cell ? `${cell.status}${cell.grew ? '+' : ''}:${cell.candidate?.fingerprint ?? '-'}` : null,
      ),
    ]);

    // kept and mv share an exposure: in c (no V1 storvsc0 finding left) both are fixed.
    expect(rows).toEqual([
      ['kept', 'persisting+:kept', 'fixed:-'],
      ['gone', 'fixed:-', 'persisting:gone'],
      ['mv', 'moved:mv2', 'fixed:-'],
      ['only fresh', 'new:fresh', 'new:fresh'],
      ['only back', null, 'reopened:back'],
    ]);
  });

  it('gives baseline rows with no cells when there are no columns', () => {
    expect(findingRows([finding('a')], [])).toEqual([
      { exposureKey: 'V1|storvsc0|critical|secret', baseline: finding('a'), fingerprint: null, cells: [] },
    ]);
  });
});

describe('metricRows', () => {
  it('takes the union of keys, sorted, with one cell per column; a key a column lacks is unchanged there', () => {
    const baseline = { label: 'base', findings: [], metrics: { failedMaps: 2 } };
    const columns = compareResultSets(baseline, [
      { label: 'b', findings: [], metrics: { failedMaps: 0 } },
      { label: 'c', findings: [], metrics: { failedMaps: 2, 'cost.bounceCopyNs': 5 } },
    ]);

    expect(metricRows(columns)).toEqual([
      {
        key: 'cost.bounceCopyNs',
        baseline: null,
        cells: [
          { key: 'cost.bounceCopyNs', baseline: null, candidate: null, delta: null, direction: 'unchanged' },
          { key: 'cost.bounceCopyNs', baseline: null, candidate: '5', delta: null, direction: 'neutral' },
        ],
      },
      {
        key: 'failedMaps',
        baseline: '2',
        cells: [
          { key: 'failedMaps', baseline: '2', candidate: '0', delta: '-2', direction: 'better' },
          { key: 'failedMaps', baseline: '2', candidate: '2', delta: '0', direction: 'unchanged' },
        ],
      },
    ]);
  });
});
