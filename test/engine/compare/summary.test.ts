import {
  changedFindingLines,
  classDeltas,
  compareFindings,
  comparisonLine,
  countStatuses,
  type ComparableFinding,
  findingClassDeltas,
} from '../../../src/engine/index';

// The one-line summary every consumer of the comparison prints per column.
function finding(fingerprint: string, overrides: Partial<ComparableFinding> = {}): ComparableFinding {
  return {
    fingerprint,
    class: 'V1',
    deviceId: 'storvsc0',
    dataClass: 'secret',
    severity: 'critical',
    path: 'la-phys path',
    rule: 'A4',
    count: 10,
    bytesExposed: 4096,
    ...overrides,
  };
}
const failure = (fingerprint: string, cls: string, count: number): ComparableFinding =>
  finding(fingerprint, {
    class: cls,
    dataClass: null,
    severity: 'high',
    path: null,
    rule: 'B5',
    count,
    bytesExposed: 0,
  });

describe('comparison summary line', () => {
  it('counts fixed, new, moved and failure deltas per class: "vs v7.2: fixed 1, new 0, moved 1, failures +9,958 F5"', () => {
    const baseline = [
      finding('a4-secret'),
      finding('a4-stale', { dataClass: 'stale', severity: 'high', deviceId: 'nvme0' }),
      failure('f1', 'F1', 3),
    ];
    const candidate = [
      finding('b5-secret', { path: 'lb path', rule: 'B5' }),
      failure('f1', 'F1', 3),
      failure('f5', 'F5', 9958),
    ];
    const compared = compareFindings(baseline, candidate);
    const counts = countStatuses(compared);

    expect(counts).toEqual({ new: 1, fixed: 1, moved: 1, reopened: 0, persisting: 1 });
    expect(findingClassDeltas(compared)).toEqual([
      { class: 'V1', delta: -10 },
      { class: 'F5', delta: 9958 },
    ]);
    expect(comparisonLine('v7.2', counts, findingClassDeltas(compared))).toBe(
      'vs v7.2: fixed 1, new 1, moved 1, failures +9,958 F5',
    );
    expect(changedFindingLines(compared)).toEqual([
      'moved V1 storvsc0 secret critical: A4 → B5',
      'new F5 storvsc0 high (B5)',
      'fixed V1 nvme0 stale high (A4)',
    ]);
  });

  it('shows reopened only when present, fewer failures with a minus sign, and ±0 when no failure class changed', () => {
    expect(
      comparisonLine('lb', { new: 0, fixed: 2, moved: 0, reopened: 1, persisting: 0 }, [{ class: 'F1', delta: -44 }]),
    ).toBe('vs lb: fixed 2, new 0, reopened 1, moved 0, failures −44 F1');
    expect(
      comparisonLine('lb', { new: 0, fixed: 0, moved: 0, reopened: 0, persisting: 3 }, [{ class: 'V2', delta: 5 }]),
    ).toBe('vs lb: fixed 0, new 0, moved 0, failures ±0');
  });

  it('takes class deltas of two byClass maps in V then F order, leaving out zeros', () => {
    expect(classDeltas({ V1: 3, F5: 10, F15: 2 }, { V1: 3, F1: 4, F5: 1, V2: 7 })).toEqual([
      { class: 'V2', delta: 7 },
      { class: 'F1', delta: 4 },
      { class: 'F5', delta: -9 },
      { class: 'F15', delta: -2 },
    ]);
  });
});
