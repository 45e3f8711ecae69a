import type {
  CompareRunsQuery,
  OverviewQuery,
  RunSummaryFragment,
  ViolationFieldsFragment,
} from '../../../web/src/api/generated/graphql';

export function violation(overrides: Partial<ViolationFieldsFragment>): ViolationFieldsFragment {
  return {
    id: overrides.id ?? `v-${Math.random().toString(16).slice(2)}`,
    runId: 'run-1',
    class: 'V1',
    severity: 'critical',
    deviceId: 'storvsc0',
    fingerprint: 'V1|storvsc0|A4',
    count: '10',
    bytesExposed: '4096',
    dataClass: 'secret',
    firstOp: '5',
    path: 'device DMA write → shared SWIOTLB bounce buffer',
    rule: 'A4',
    explanation: 'the device wrote secret data into a bounce buffer in the shared pool',
    triageState: 'OPEN',
    createdAt: '2026-11-28T10:00:00.000Z',
    ...overrides,
  };
}

/** Three findings of different class, severity, device and size. */
export const runViolations: ViolationFieldsFragment[] = [
  violation({
    id: 'a',
    class: 'V1',
    severity: 'critical',
    deviceId: 'storvsc0',
    bytesExposed: '1919856640',
    count: '39976',
    firstOp: '5',
    path: 'device DMA write → shared SWIOTLB bounce buffer',
    explanation: 'secret data bounced through the shared pool before swiotlb_sync_single_for_cpu()',
    fingerprint: 'fp-a',
  }),
  violation({
    id: 'b',
    class: 'V4',
    severity: 'high',
    deviceId: 'nvme0',
    bytesExposed: '8192',
    count: '2',
    firstOp: '100',
    path: 'dma_direct_alloc → dma_direct_alloc_from_pool (shared atomic pool)',
    explanation: 'the coherent buffer came from the atomic DMA pool, which is permanently shared',
    fingerprint: 'fp-b',
    rule: 'C3',
  }),
  violation({
    id: 'c',
    class: 'V10',
    severity: 'info',
    deviceId: 'nvme0',
    bytesExposed: '65536',
    count: '7',
    firstOp: '42',
    path: 'swiotlb_tbl_map_single → stale slot',
    explanation: 'stale bytes from a previous mapping remained in the slot',
    fingerprint: 'fp-c',
    rule: 'B2',
    dataClass: 'stale',
  }),
];

export function run(overrides: Partial<RunSummaryFragment>): RunSummaryFragment {
  return {
    id: '11111111-2222-3333-4444-555555555555',
    status: 'SUCCEEDED',
    profile: 'la-classic',
    overlays: [],
    progress: 1,
    trigger: 'MANUAL',
    batchId: null,
    createdAt: '2026-11-28T10:00:00.000Z',
    finishedAt: '2026-11-28T10:00:05.000Z',
    scenario: { id: 'scn-1', name: 's04-hyperv-snp-confidential-storvsc' },
    verdict: 'EXPOSES_SECRETS',
    summary: { levels: ['EXPOSES_SECRETS'] },
    ...overrides,
  };
}

export const comparison: CompareRunsQuery['compareRuns'] = {
  a: run({ id: 'aaaaaaaa-0000-0000-0000-000000000000', profile: 'la-classic' }),
  b: run({
    id: 'bbbbbbbb-0000-0000-0000-000000000000',
    profile: 'la-phys',
    overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
  }),
  newViolations: [
    violation({
      id: 'n1',
      class: 'V2',
      severity: 'critical',
      deviceId: 'nvme0',
      fingerprint: 'fp-new',
      explanation: 'new exposure on la-phys',
    }),
  ],
  reopenedViolations: [],
  fixedViolations: [
    violation({
      id: 'f1',
      class: 'V1',
      severity: 'critical',
      deviceId: 'storvsc0',
      fingerprint: 'fp-fixed',
      explanation: 'fixed by device-cc-accepted',
    }),
    violation({ id: 'f2', class: 'V3', severity: 'high', deviceId: 'storvsc0', fingerprint: 'fp-fixed-2' }),
  ],
  persistingViolations: [
    violation({ id: 'p1', class: 'V4', severity: 'high', deviceId: 'nvme0', fingerprint: 'fp-persist' }),
  ],
  movedViolations: [
    {
      from: violation({ id: 'm0', class: 'V5', severity: 'high', deviceId: 'blk0', fingerprint: 'fp-a4', rule: 'A4' }),
      to: violation({ id: 'm1', class: 'V5', severity: 'high', deviceId: 'blk0', fingerprint: 'fp-b5', rule: 'B5' }),
    },
  ],
  metricDeltas: [
    { metric: 'swiotlb.hiwater', a: 2960, b: 0, delta: -2960, direction: 'BETTER' },
    { metric: 'failedMaps', a: 0, b: 3, delta: 3, direction: 'WORSE' },
    { metric: 'profile.name', a: 'la-classic', b: 'la-phys', delta: null, direction: 'NEUTRAL' },
    { metric: 'violations.V1.bytesExposed', a: 5784387584, b: null, delta: null, direction: 'BETTER' },
  ],
  summary: 'vs la-classic: fixed 2, new 1, moved 1, failures ±0',
};

export const dashboard: OverviewQuery['dashboard'] = {
  runsByStatus: [
    { day: '2026-11-27T00:00:00.000Z', status: 'SUCCEEDED', count: 4 },
    { day: '2026-11-27T00:00:00.000Z', status: 'FAILED', count: 1 },
    { day: '2026-11-28T00:00:00.000Z', status: 'SUCCEEDED', count: 6 },
  ],
  violationsByClass: [
    { day: '2026-11-27T00:00:00.000Z', class: 'V1', severity: 'critical', count: 3 },
    { day: '2026-11-28T00:00:00.000Z', class: 'V1', severity: 'critical', count: 2 },
    { day: '2026-11-28T00:00:00.000Z', class: 'V4', severity: 'high', count: 5 },
  ],
  // One row per scenario and kernel: s1 ranks under two kernels.
  riskiestScenarios: [
    {
      openCriticalViolations: 7,
      profile: 'la-classic',
      overlays: [],
      runId: 'r2',
      scenario: { id: 's1', name: 'storvsc on SNP' },
    },
    {
      openCriticalViolations: 3,
      profile: 'la-phys',
      overlays: [{ name: 'confidential-vmbus-no-swiotlb', variant: null }],
      runId: 'r3',
      scenario: { id: 's1', name: 'storvsc on SNP' },
    },
    {
      openCriticalViolations: 2,
      profile: 'lb',
      overlays: [],
      runId: 'r4',
      scenario: { id: 's2', name: 'nvme on TDX' },
    },
  ],
  headroom: [
    {
      scenario: { id: 's1', name: 'storvsc on SNP' },
      points: [
        { runId: 'r1', at: '2026-11-27T10:00:00.000Z', hiwaterFraction: 0.2 },
        { runId: 'r2', at: '2026-11-28T10:00:00.000Z', hiwaterFraction: 0.6 },
      ],
    },
  ],
};
