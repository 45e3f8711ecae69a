import { formatDecimal, parseDecimal, subtract } from '../../../src/engine/index';
import {
  compareBatches,
  isWaived,
  overallVerdict,
  type ComparisonInput,
} from '../../../src/modules/regression/comparison';
import type { ComparedRun, ComparedViolation, TriageDecision } from '../../../src/modules/regression/regression.types';

// The pure comparison: fingerprints move NEW/FIXED/PERSISTING/REOPENED, waivers (unexpired) do not
// fail, metric deltas are exact decimals, thresholds gate absolute/relative/max growth, and runs of a
// different engine version or spec are NOT_COMPARABLE rather than compared.
const now = new Date('2026-11-29T03:00:00Z');

function violation(overrides: Partial<ComparedViolation> = {}): ComparedViolation {
  return {
    fingerprint: 'fp-a',
    class: 'V1',
    severity: 'critical',
    deviceId: 'storvsc0',
    path: 'dma_direct_map_phys → swiotlb_map',
    rule: 'A4',
    explanation: 'bounced',
    dataClass: 'secret',
    count: 10n,
    bytesExposed: 4096n,
    ...overrides,
  };
}

function run(overrides: Partial<ComparedRun> = {}): ComparedRun {
  return {
    scenarioId: 's1',
    scenarioName: 'storvsc',
    entryName: 'kernel',
    runId: 'r1',
    profile: 'la-phys',
    status: 'SUCCEEDED',
    levels: ['clean'],
    engineVersion: '0.1.0',
    specHash: 'h1',
    violations: [],
    metrics: { 'swiotlb.hiwater': 1000, failedMaps: 0 },
    ...overrides,
  };
}

function input(overrides: Partial<ComparisonInput> = {}): ComparisonInput {
  return {
    candidate: [run({ runId: 'c1' })],
    baseline: [run({ runId: 'b1' })],
    thresholds: [],
    triage: new Map(),
    seenBefore: new Set(),
    now,
    ...overrides,
  };
}

const waiver = (expiresAt: Date | null): TriageDecision => ({
  state: 'WAIVED',
  reason: 'accepted until the fix lands',
  owner: 'alice',
  expiresAt,
});

describe('compareBatches: violations', () => {
  it('passes when both runs have the same findings', () => {
    const result = compareBatches(
      input({ candidate: [run({ violations: [violation()] })], baseline: [run({ violations: [violation()] })] }),
    );

    expect(result.verdict).toBe('PASS');
    expect(result.entries[0]?.findings.map((f) => [f.change, f.counts])).toEqual([['PERSISTING', false]]);
  });

  it('flags a fingerprint missing from the baseline as NEW and the entry REGRESSED', () => {
    const result = compareBatches(input({ candidate: [run({ violations: [violation({ fingerprint: 'fp-new' })] })] }));

    expect(result.verdict).toBe('REGRESSED');
    expect(result.entries[0]?.findings[0]).toMatchObject({
      change: 'NEW',
      counts: true,
      fingerprint: 'fp-new',
      bytesExposed: '4096',
      baselineCount: null,
    });
    expect(result.entries[0]?.reasons[0]).toMatch(/^NEW_VIOLATION V1\/critical storvsc0 fp-new/);
    expect(result.counts).toMatchObject({ new: 1, fixed: 0 });
  });

  it('flags a fingerprint gone from the candidate as FIXED and the entry IMPROVED', () => {
    const result = compareBatches(input({ baseline: [run({ violations: [violation()] })] }));

    expect(result.verdict).toBe('IMPROVED');
    expect(result.entries[0]?.findings[0]).toMatchObject({
      change: 'FIXED',
      counts: false,
      count: '0',
      baselineCount: '10',
    });
  });

  it('flags a fingerprint seen before the baseline and back now as REOPENED', () => {
    const result = compareBatches(
      input({ candidate: [run({ violations: [violation()] })], seenBefore: new Set(['fp-a']) }),
    );

    expect(result.entries[0]?.findings[0]).toMatchObject({ change: 'REOPENED', counts: true });
    expect(result.verdict).toBe('REGRESSED');
  });

  it('flags a fingerprint triaged FIXED that appears again as REOPENED', () => {
    const triage = new Map([['fp-a', { state: 'FIXED' as const, reason: null, owner: null, expiresAt: null }]]);

    const result = compareBatches(input({ candidate: [run({ violations: [violation()] })], triage }));

    expect(result.entries[0]?.findings[0]?.change).toBe('REOPENED');
  });

  it('pairs a NEW finding with the FIXED baseline finding of the same exposure (another kernel path after a profile change) and gates it like a persisting one', () => {
    // The same V1 leak of the same secret bytes, reached via rule B5 under lb instead of A4 under
    // la-phys: the fingerprint changes with path and rule, the exposure does not. Moving is neither
    // a regression nor a fix, so the entry passes.
    const before = violation({ fingerprint: 'V1|storvsc0|forced|A4|la-phys', rule: 'A4' });
    const after = violation({ fingerprint: 'V1|storvsc0|cc-rule|B5|lb', rule: 'B5' });

    const result = compareBatches(
      input({ candidate: [run({ profile: 'lb', violations: [after] })], baseline: [run({ violations: [before] })] }),
    );

    expect(result.verdict).toBe('PASS');
    expect(result.entries[0]?.findings.map((f) => [f.change, f.sameExposureAs, f.counts])).toEqual([
      ['FIXED', after.fingerprint, false],
      ['NEW', before.fingerprint, false],
    ]);
    expect(result.counts.moved).toBe(1);
  });

  it('fails a moved exposure that exposes more bytes than the finding it replaces', () => {
    const before = violation({ fingerprint: 'V1|storvsc0|forced|A4|la-phys', rule: 'A4', bytesExposed: 4096n });
    const after = violation({ fingerprint: 'V1|storvsc0|cc-rule|B5|lb', rule: 'B5', bytesExposed: 8192n });

    const result = compareBatches(
      input({ candidate: [run({ profile: 'lb', violations: [after] })], baseline: [run({ violations: [before] })] }),
    );

    expect(result.verdict).toBe('REGRESSED');
    expect(result.entries[0]?.findings.find((f) => f.change === 'NEW')?.counts).toBe(true);
  });

  it('does not pair findings of a different data class or severity', () => {
    const result = compareBatches(
      input({
        candidate: [run({ violations: [violation({ fingerprint: 'b', dataClass: 'stale' })] })],
        baseline: [run({ violations: [violation()] })],
      }),
    );

    expect(result.entries[0]?.findings.every((f) => f.sameExposureAs === null)).toBe(true);
  });

  it('counts a persisting finding that exposes more bytes than before (exact counts)', () => {
    const result = compareBatches(
      input({
        candidate: [run({ violations: [violation({ bytesExposed: 4097n })] })],
        baseline: [run({ violations: [violation()] })],
      }),
    );

    expect(result.verdict).toBe('REGRESSED');
    expect(result.entries[0]?.reasons[0]).toMatch(/^GREW_VIOLATION/);
  });

  it('does not fail on a NEW finding covered by an unexpired waiver, and reports the waiver', () => {
    const triage = new Map([['fp-a', waiver(new Date('2027-01-01T00:00:00Z'))]]);

    const result = compareBatches(input({ candidate: [run({ violations: [violation()] })], triage }));

    expect(result.verdict).toBe('PASS');
    expect(result.entries[0]?.findings[0]).toMatchObject({
      change: 'NEW',
      waived: true,
      counts: false,
      waiver: { owner: 'alice', expiresAt: '2027-01-01T00:00:00.000Z' },
    });
    expect(result.counts.waived).toBe(1);
  });

  it('does not fail on a waiver without expiry', () => {
    const result = compareBatches(
      input({ candidate: [run({ violations: [violation()] })], triage: new Map([['fp-a', waiver(null)]]) }),
    );

    expect(result.verdict).toBe('PASS');
  });

  it('counts a finding again once its waiver has expired', () => {
    const triage = new Map([['fp-a', waiver(new Date('2026-11-29T02:59:59Z'))]]);

    const result = compareBatches(input({ candidate: [run({ violations: [violation()] })], triage }));

    expect(result.verdict).toBe('REGRESSED');
    expect(result.entries[0]?.findings[0]).toMatchObject({ waived: false, counts: true });
  });

  it('treats an acknowledged finding as counting (acknowledging is not waiving)', () => {
    const triage = new Map([['fp-a', { state: 'ACKNOWLEDGED' as const, reason: null, owner: null, expiresAt: null }]]);

    expect(compareBatches(input({ candidate: [run({ violations: [violation()] })], triage })).verdict).toBe(
      'REGRESSED',
    );
  });
});

describe('compareBatches: comparability', () => {
  it('marks a different engine version NOT_COMPARABLE instead of comparing', () => {
    const result = compareBatches(input({ candidate: [run({ engineVersion: '0.2.0', violations: [violation()] })] }));

    expect(result.verdict).toBe('NOT_COMPARABLE');
    expect(result.entries[0]?.reasons).toEqual(['ENGINE_VERSION_DIFFERS 0.1.0 → 0.2.0']);
    expect(result.entries[0]?.findings[0]?.counts).toBe(false);
  });

  it('marks a different spec hash NOT_COMPARABLE', () => {
    const result = compareBatches(input({ candidate: [run({ specHash: 'h2' })] }));

    expect(result.entries[0]?.verdict).toBe('NOT_COMPARABLE');
    expect(result.entries[0]?.reasons[0]).toMatch(/^SPEC_DIFFERS/);
  });

  it('marks everything NOT_COMPARABLE when there is no baseline yet', () => {
    expect(compareBatches(input({ baseline: null })).entries[0]?.reasons).toEqual(['NO_BASELINE']);
  });

  it('compares by scenario × entry name, so a new kernel profile under the same entry is compared with the old one', () => {
    const result = compareBatches(
      input({
        candidate: [run({ profile: 'lb', violations: [violation()] })],
        baseline: [run({ profile: 'la-phys' })],
      }),
    );

    expect(result.entries[0]).toMatchObject({ profile: 'lb', baselineProfile: 'la-phys', verdict: 'REGRESSED' });
  });

  it('reports a candidate run that did not succeed as ERROR', () => {
    const result = compareBatches(input({ candidate: [run({ status: 'TIMED_OUT' })] }));

    expect(result.verdict).toBe('ERROR');
    expect(result.entries[0]?.reasons).toEqual(['RUN_TIMED_OUT']);
  });
});

describe('compareBatches: metrics and thresholds', () => {
  const hiwater = (
    baseline: number | string,
    candidate: number | string,
    threshold: ComparisonInput['thresholds'][number],
  ) =>
    compareBatches(
      input({
        candidate: [run({ metrics: { 'swiotlb.hiwater': candidate } })],
        baseline: [run({ metrics: { 'swiotlb.hiwater': baseline } })],
        thresholds: [threshold],
      }),
    ).entries[0]!;

  it('reports exact deltas beyond 2^53 as decimal strings', () => {
    const result = compareBatches(
      input({
        candidate: [run({ metrics: { bytes: '9007199254740993' } })],
        baseline: [run({ metrics: { bytes: '9007199254740992' } })],
      }),
    );

    expect(result.entries[0]?.metrics).toEqual([
      expect.objectContaining({ metric: 'bytes', delta: '1', breached: false }),
    ]);
  });

  it('breaks a relative threshold just above 5 % and passes exactly at 5 %', () => {
    expect(hiwater(1000, 1051, { metric: 'swiotlb.hiwater', maxIncreasePercent: 5 }).verdict).toBe('REGRESSED');
    expect(hiwater(1000, 1050, { metric: 'swiotlb.hiwater', maxIncreasePercent: 5 }).verdict).toBe('PASS');
  });

  it('breaks an absolute growth threshold', () => {
    const entry = hiwater(1000, 1003, { metric: 'swiotlb.hiwater', maxIncrease: '2' });

    expect(entry.verdict).toBe('REGRESSED');
    expect(entry.metrics[0]).toMatchObject({ delta: '3', breached: true, breachReason: 'grew by 3 (allowed 2)' });
  });

  it('breaks a ceiling ("failed maps must stay 0")', () => {
    const result = compareBatches(
      input({
        candidate: [run({ metrics: { failedMaps: 1 } })],
        baseline: [run({ metrics: { failedMaps: 1 } })],
        thresholds: [{ metric: 'failedMaps', max: '0' }],
      }),
    );

    expect(result.entries[0]?.metrics[0]).toMatchObject({ breached: true, breachReason: '1 exceeds the maximum 0' });
  });

  it('treats any growth from a zero baseline as breaking a relative threshold', () => {
    expect(hiwater(0, 1, { metric: 'swiotlb.hiwater', maxIncreasePercent: 50 }).verdict).toBe('REGRESSED');
  });

  it('reports a gated metric that shrank as IMPROVED', () => {
    expect(hiwater(1000, 900, { metric: 'swiotlb.hiwater', maxIncreasePercent: 5 })).toMatchObject({
      verdict: 'IMPROVED',
      reasons: ['IMPROVED swiotlb.hiwater by -100'],
    });
  });

  it('handles decimal metrics exactly (0.1 + 0.2 style)', () => {
    expect(hiwater('0.1', '0.3', { metric: 'swiotlb.hiwater', maxIncrease: '0.2' }).verdict).toBe('PASS');
    expect(hiwater('0.1', '0.30000000000000004', { metric: 'swiotlb.hiwater', maxIncrease: '0.2' }).verdict).toBe(
      'REGRESSED',
    );
  });
});

describe('helpers', () => {
  it('orders verdicts REGRESSED > ERROR > NOT_COMPARABLE > IMPROVED > PASS', () => {
    expect(overallVerdict(['PASS', 'IMPROVED', 'NOT_COMPARABLE', 'ERROR', 'REGRESSED'])).toBe('REGRESSED');
    expect(overallVerdict(['PASS', 'ERROR', 'NOT_COMPARABLE'])).toBe('ERROR');
    expect(overallVerdict(['PASS', 'IMPROVED'])).toBe('IMPROVED');
    expect(overallVerdict([])).toBe('PASS');
  });

  it('parses and subtracts decimals exactly', () => {
    expect(formatDecimal(subtract(parseDecimal('1e3')!, parseDecimal('0.25')!))).toBe('999.75');
    expect(formatDecimal(subtract(parseDecimal('-0.5')!, parseDecimal('0.5')!))).toBe('-1');
    expect(parseDecimal('abc')).toBeNull();
  });

  it('treats a waiver expiring exactly now as expired', () => {
    expect(isWaived(waiver(now), now)).toBe(false);
    expect(isWaived({ state: 'OPEN', reason: null, owner: null, expiresAt: null }, now)).toBe(false);
  });
});
