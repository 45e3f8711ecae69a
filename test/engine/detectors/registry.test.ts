import {
  attributeExposure,
  failureDetectors,
  violationDetectors,
  type ExposureFacts,
} from '../../../src/engine/detectors/index';
import { FindingLedger } from '../../../src/engine/run/findings';

const violationClasses = ['V0', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9'] as const;
const failureClasses = [
  'F1',
  'F2',
  'F3',
  'F4',
  'F5',
  'F6',
  'F7',
  'F8',
  'F9',
  'F10',
  'F11',
  'F12',
  'F13',
  'F14',
  'F15',
  'F16',
] as const;

function facts(over: Partial<ExposureFacts>): ExposureFacts {
  return {
    event: 'map-copy',
    memory: 'swiotlb',
    deviceId: 'd0',
    deviceKind: 'nvme',
    trust: 'untrusted',
    dir: 'to-device',
    dataClass: 'secret',
    forcedOnlyByCmdline: false,
    rule: 'A4',
    detail: 'default pool, forced',
    ...over,
  };
}

describe('detector registry', () => {
  it('has one detector per violation class V0–V9 and per failure class F1–F16, keyed by its own class', () => {
    expect(Object.keys(violationDetectors).sort()).toEqual([...violationClasses].sort());
    for (const c of violationClasses) expect(violationDetectors[c].class).toBe(c);
    expect(Object.keys(failureDetectors).sort()).toEqual([...failureClasses].sort());
    for (const c of failureClasses) expect(failureDetectors[c].class).toBe(c);
  });

  it('every explanation cites its kernel function (a C identifier followed by "()")', () => {
    for (const c of violationClasses) {
      const d = violationDetectors[c];
      expect(d.kernelFunction).toMatch(/^[a-z_][a-z0-9_]*$/);
      const text = d.explain(facts({ event: 'device-write' }));
      expect(text).toMatch(/[a-z_][a-z0-9_]*\(\)/);
    }
    for (const c of failureClasses) {
      const d = failureDetectors[c];
      expect(d.kernelFunction).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(d.explain('A4', 'detail')).toMatch(/[a-z_][a-z0-9_]*\(\)/);
    }
  });

  it('info classes are V0, V6, V7, V8, V9 (docs/engine-contract.md §5); F15 is the only info failure', () => {
    expect(violationClasses.filter((c) => violationDetectors[c].severity === 'info')).toEqual([
      'V0',
      'V6',
      'V7',
      'V8',
      'V9',
    ]);
    expect(failureClasses.filter((c) => failureDetectors[c].severity === 'info')).toEqual(['F15']);
  });

  // docs/engine-contract.md §5 order: V5 > V1 > V2 > V4 > V3 > V8/V9 > V0.
  it.each([
    ['V5', facts({ forcedOnlyByCmdline: true, trust: 'confidential-vmbus', dir: 'from-device' })],
    ['V1', facts({ trust: 'confidential-vmbus', dir: 'from-device' })],
    ['V1', facts({ event: 'device-write', trust: 'tdisp-accepted' })],
    ['V2', facts({ dir: 'from-device', dataClass: 'stale' })],
    ['V0', facts({})],
    ['V0', facts({ memory: 'transient-pool' })],
    ['V4', facts({ event: 'cpu-write', memory: 'atomic-pool', dir: null })],
    ['V3', facts({ event: 'cpu-write', memory: 'coherent-pages', dir: null })],
    ['V3', facts({ event: 'cpu-write', memory: 'restricted-pool', dir: null })],
    ['V8', facts({ event: 'map-direct', memory: 'cc-shared-buffer', rule: 'B6' })],
    ['V9', facts({ event: 'map-direct', memory: 'vmbus-gpadl', deviceKind: 'vmbus-netvsc', rule: 'netvsc-gpadl' })],
    ['V6', facts({ event: 'unmap-residue' })],
    ['V7', facts({ event: 'sync-subrange' })],
  ] as const)('attributes to %s', (expected, f) => {
    expect(attributeExposure(f)?.class).toBe(expected);
  });

  it('never attributes a device write by an untrusted device (the host wrote it) and lists no class it cannot produce (no V10)', () => {
    expect(attributeExposure(facts({ event: 'device-write' }))).toBeNull();
    expect(Object.keys(violationDetectors)).not.toContain('V10');
    expect(Object.values(violationDetectors).map((d) => d.role)).not.toContain('not-modelled');
  });

  it('fingerprints are stable: class|device|path|rule|platform/profile|dataClass, independent of op and bytes', () => {
    const fingerprint = (op: number, bytes: number): string => {
      const ledger = new FindingLedger('sev-snp/la-phys');
      const f = facts({ dir: 'from-device', dataClass: 'stale' });
      ledger.addViolation(attributeExposure(f)!, f, 0, op, bytes);
      return ledger.violationList()[0]!.fingerprint;
    };

    expect(fingerprint(1, 4096)).toBe(
      'V2|d0|dma_direct_map_phys → swiotlb_map → swiotlb_tbl_map_single (default pool, forced)|A4|sev-snp/la-phys|stale',
    );
    expect(fingerprint(999, 1)).toBe(fingerprint(1, 4096));
  });

  it('accumulates counts and bytes per cause without new findings', () => {
    const ledger = new FindingLedger('tdx/lb');
    const f = facts({});
    for (let i = 0; i < 5; i++) ledger.addViolation(attributeExposure(f)!, f, 0, i, 100);
    ledger.addFailure(
      'F1',
      'd0',
      0,
      3,
      'A4',
      'full',
      () => 'swiotlb buffer is full (sz: 4096 bytes), total 8 (slots), used 8 (slots)',
    );
    ledger.addFailure('F1', 'd0', 0, 4, 'A4', 'full', () => 'never built');

    expect(ledger.violationList()).toMatchObject([
      { class: 'V0', count: 5, bytesExposed: 500, firstOp: 0, severity: 'info' },
    ]);
    expect(ledger.failureList()).toMatchObject([
      {
        class: 'F1',
        count: 2,
        firstOp: 3,
        kernelLogLine: 'swiotlb buffer is full (sz: 4096 bytes), total 8 (slots), used 8 (slots)',
      },
    ]);
  });
});
