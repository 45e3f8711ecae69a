/**
 * What each allocator metric of a report means: its group, unit and one line of explanation, for
 * the run page's "all metrics" table and the metric deltas. Keys are matched exactly first, then by
 * pattern (per-device, per-pool, per-class and per-reason keys). Pure (tested).
 */
export type MetricUnit = 'bytes' | 'slots' | 'count' | 'ns' | 'pages' | 'ratio' | 'ops';

export interface MetricInfo {
  readonly group: string;
  readonly unit: MetricUnit;
  readonly description: string;
}

export const metricGroups = [
  'SWIOTLB pool',
  'Failures',
  'Violations',
  'Shared memory and conversions',
  'Atomic pools',
  'Devices',
  'Modelled cost',
  'Run',
] as const;

const exact: Record<string, MetricInfo> = {
  'swiotlb.nslabs': {
    group: 'SWIOTLB pool',
    unit: 'slots',
    description: 'Size of the default pool in 2 KiB slots (swiotlb= or 6 % of RAM capped at 1 GiB).',
  },
  'swiotlb.nareas': {
    group: 'SWIOTLB pool',
    unit: 'count',
    description: 'Areas the pool is split into (one lock each; about one per vCPU).',
  },
  'swiotlb.areaSlots': {
    group: 'SWIOTLB pool',
    unit: 'slots',
    description: 'Slots per area: the largest run one area can hand out.',
  },
  'swiotlb.used': {
    group: 'SWIOTLB pool',
    unit: 'slots',
    description: 'Slots still mapped when the workload ended (non-zero means mappings were never unmapped).',
  },
  'swiotlb.hiwater': {
    group: 'SWIOTLB pool',
    unit: 'slots',
    description: 'Most slots in use at any one time: the headroom left is nslabs minus this.',
  },
  'swiotlb.transientSlots': {
    group: 'SWIOTLB pool',
    unit: 'slots',
    description: 'Slots served from transient pools of dynamic SWIOTLB.',
  },
  'swiotlb.poolsGrown': {
    group: 'SWIOTLB pool',
    unit: 'count',
    description: 'Pools added by dynamic SWIOTLB because the default pool was full.',
  },
  'swiotlb.transientPoolsCreated': {
    group: 'SWIOTLB pool',
    unit: 'count',
    description: 'One-off pools created for a single mapping by dynamic SWIOTLB.',
  },
  'swiotlb.bouncedBytesToDevice': {
    group: 'SWIOTLB pool',
    unit: 'bytes',
    description: 'Bytes copied into bounce buffers on the way to devices (map and sync-for-device).',
  },
  'swiotlb.bouncedBytesFromDevice': {
    group: 'SWIOTLB pool',
    unit: 'bytes',
    description: 'Bytes copied out of bounce buffers from devices (unmap and sync-for-cpu).',
  },
  'swiotlb.slotsScannedMax': {
    group: 'SWIOTLB pool',
    unit: 'slots',
    description: 'Most slots one map had to scan to find a free run (fragmentation).',
  },
  'swiotlb.slotsScannedPerMap': {
    group: 'SWIOTLB pool',
    unit: 'slots',
    description: 'Average slots scanned per map: grows as the pool fragments.',
  },
  'swiotlb.slotMetadataBytes': {
    group: 'SWIOTLB pool',
    unit: 'bytes',
    description: 'Memory the kernel spends on per-slot bookkeeping.',
  },
  failedMaps: {
    group: 'Failures',
    unit: 'count',
    description: 'Streaming maps that failed (the driver sees DMA_MAPPING_ERROR).',
  },
  failedCoherentAllocs: {
    group: 'Failures',
    unit: 'count',
    description: 'Coherent allocations that failed (dma_alloc_coherent returned NULL).',
  },
  skippedOps: {
    group: 'Run',
    unit: 'ops',
    description:
      'Workload operations not executed because an earlier step failed (e.g. the unmap or sync of a map that failed).',
  },
  'kernelLog.dropped': {
    group: 'Run',
    unit: 'count',
    description: 'Kernel log lines dropped because the report keeps a bounded log.',
  },
  'shared.publicBytes': {
    group: 'Shared memory and conversions',
    unit: 'bytes',
    description: 'Public (non-secret) bytes placed in host-visible memory.',
  },
  'shared.hostSideBytes': {
    group: 'Shared memory and conversions',
    unit: 'bytes',
    description: 'Bytes that are host-visible by design (host-backed devices, shared rings).',
  },
  'coherent.sharedBytes': {
    group: 'Shared memory and conversions',
    unit: 'bytes',
    description: 'Coherent allocations served from decrypted (shared) memory.',
  },
  'conversions.decryptCalls': {
    group: 'Shared memory and conversions',
    unit: 'count',
    description: 'set_memory_decrypted calls (private → shared page conversions).',
  },
  'conversions.decryptPages': {
    group: 'Shared memory and conversions',
    unit: 'pages',
    description: 'Pages converted from private to shared at run time.',
  },
  'conversions.encryptCalls': {
    group: 'Shared memory and conversions',
    unit: 'count',
    description: 'set_memory_encrypted calls (shared → private on free).',
  },
  'conversions.encryptPages': {
    group: 'Shared memory and conversions',
    unit: 'pages',
    description: 'Pages converted back from shared to private.',
  },
  'conversions.leakedPages': {
    group: 'Shared memory and conversions',
    unit: 'pages',
    description: 'Pages whose re-encryption failed: the kernel leaks them rather than reuse them.',
  },
  'conversions.failures': {
    group: 'Shared memory and conversions',
    unit: 'count',
    description: 'Page-state conversions that failed.',
  },
  'conversions.bootDecryptPages': {
    group: 'Shared memory and conversions',
    unit: 'pages',
    description: 'Pages decrypted at boot (the SWIOTLB pool and the atomic pools).',
  },
  'memory.decryptedBytes': {
    group: 'Shared memory and conversions',
    unit: 'bytes',
    description: 'All guest memory that is shared with the host at the end of the run.',
  },
  'memory.lowBytesConsumed': {
    group: 'Shared memory and conversions',
    unit: 'bytes',
    description: 'Low memory (below 4 GiB) the pools take away from 32-bit devices and the kernel.',
  },
  'cost.bounceCopyNs': {
    group: 'Modelled cost',
    unit: 'ns',
    description: 'Modelled time spent copying into and out of bounce buffers.',
  },
  'cost.slotSearchNs': {
    group: 'Modelled cost',
    unit: 'ns',
    description: 'Modelled time spent searching for free slots.',
  },
  'cost.conversionNs': {
    group: 'Modelled cost',
    unit: 'ns',
    description: 'Modelled time spent in page-state conversions (hypervisor calls).',
  },
  'cost.lockNs': { group: 'Modelled cost', unit: 'ns', description: 'Modelled time spent on area locks.' },
  'cost.totalNs': {
    group: 'Modelled cost',
    unit: 'ns',
    description: 'Sum of the modelled costs: what keeping the data private costs the workload.',
  },
};

const patterns: ReadonlyArray<[RegExp, (m: RegExpExecArray) => MetricInfo]> = [
  [
    /^swiotlb\.failures\.(.+)$/,
    (m) => ({ group: 'Failures', unit: 'count', description: `Failed SWIOTLB maps for reason "${m[1]}".` }),
  ],
  [
    /^violations\.(\w+)\.bytesExposed$/,
    (m) => ({ group: 'Violations', unit: 'bytes', description: `Bytes made host-visible by ${m[1]} findings.` }),
  ],
  [
    /^violations\.(\w+)\.(\w+)$/,
    (m) => ({ group: 'Violations', unit: 'count', description: `${m[2]} of ${m[1]} findings.` }),
  ],
  [
    /^atomicPools\.(\w+)\.initialBytes$/,
    (m) => ({
      group: 'Atomic pools',
      unit: 'bytes',
      description: `Size of the ${m[1]} atomic pool at boot (coherent_pool=).`,
    }),
  ],
  [
    /^atomicPools\.(\w+)\.sizeBytes$/,
    (m) => ({
      group: 'Atomic pools',
      unit: 'bytes',
      description: `Size of the ${m[1]} atomic pool at the end (after growth).`,
    }),
  ],
  [
    /^atomicPools\.(\w+)\.usedBytesMax$/,
    (m) => ({
      group: 'Atomic pools',
      unit: 'bytes',
      description: `Most bytes of the ${m[1]} atomic pool in use at once.`,
    }),
  ],
  [
    /^atomicPools\.(\w+)\.usedBytes$/,
    (m) => ({
      group: 'Atomic pools',
      unit: 'bytes',
      description: `Bytes of the ${m[1]} atomic pool in use at the end.`,
    }),
  ],
  [
    /^atomicPools\.(\w+)\.growthEvents$/,
    (m) => ({ group: 'Atomic pools', unit: 'count', description: `Times the ${m[1]} atomic pool grew.` }),
  ],
  [
    /^atomicPools\.(\w+)\.exhaustions$/,
    (m) => ({
      group: 'Atomic pools',
      unit: 'count',
      description: `Atomic allocations the ${m[1]} pool could not serve.`,
    }),
  ],
  [
    /^devices\.([^.]+)\.maxMappingBytes$/,
    (m) => ({
      group: 'Devices',
      unit: 'bytes',
      description: `Largest single mapping ${m[1]} may make (dma_max_mapping_size).`,
    }),
  ],
  [/^devices\.([^.]+)\.maps$/, (m) => ({ group: 'Devices', unit: 'count', description: `Streaming maps of ${m[1]}.` })],
  [
    /^devices\.([^.]+)\.bounces$/,
    (m) => ({ group: 'Devices', unit: 'count', description: `Maps of ${m[1]} that went through a bounce buffer.` }),
  ],
  [
    /^devices\.([^.]+)\.directMaps$/,
    (m) => ({
      group: 'Devices',
      unit: 'count',
      description: `Maps of ${m[1]} the device reached directly, without bouncing.`,
    }),
  ],
  [
    /^devices\.([^.]+)\.errors$/,
    (m) => ({ group: 'Devices', unit: 'count', description: `Failed maps or allocations of ${m[1]}.` }),
  ],
];

/** Group, unit and explanation of a metric key; unknown keys land in "Run" with a plain count. */
export function metricInfo(key: string): MetricInfo {
  const known = exact[key];
  if (known) return known;
  for (const [pattern, build] of patterns) {
    const match = pattern.exec(key);
    if (match) return build(match);
  }
  return {
    group: 'Run',
    unit: /Bytes$/.test(key) ? 'bytes' : /Ns$/.test(key) ? 'ns' : 'count',
    description: 'Reported by the engine.',
  };
}

/** Metrics grouped in the order of metricGroups, keys sorted inside each group. */
export function groupMetrics<T>(
  entries: ReadonlyArray<readonly [string, T]>,
): Array<{ group: string; rows: Array<{ key: string; value: T; info: MetricInfo }> }> {
  const byGroup = new Map<string, Array<{ key: string; value: T; info: MetricInfo }>>();
  for (const [key, value] of entries) {
    const info = metricInfo(key);
    const rows = byGroup.get(info.group) ?? [];
    rows.push({ key, value, info });
    byGroup.set(info.group, rows);
  }
  return metricGroups
    .filter((group) => byGroup.has(group))
    .map((group) => ({ group, rows: byGroup.get(group)!.sort((a, b) => a.key.localeCompare(b.key)) }));
}

function formatDuration(ns: number): string {
  const abs = Math.abs(ns);
  if (abs >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (abs >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (abs >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns} ns`;
}

function formatIec(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = Math.abs(bytes);
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return unit === 0 ? `${scaled} B` : `${scaled.toFixed(2)} ${units[unit]}`;
}

const unitSuffix: Record<MetricUnit, string> = {
  bytes: '',
  slots: ' slots',
  count: '',
  ns: '',
  pages: ' pages',
  ratio: '',
  ops: ' ops',
};

/** A metric value with its unit: 5.39 GiB, 3,062 slots, 582.3 ms. Non-numbers as they are; absent as —. */
export function formatMetricValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return String(value);
  const { unit } = metricInfo(key);
  const magnitude =
    unit === 'bytes'
      ? formatIec(n)
      : unit === 'ns'
        ? formatDuration(Math.abs(n))
        : Number.isInteger(n)
          ? Math.abs(n).toLocaleString('en-US')
          : Math.abs(n).toLocaleString('en-US', { maximumFractionDigits: 3 });
  return `${n < 0 ? '−' : ''}${magnitude}${unitSuffix[unit]}`;
}

/**
 * The change from a to b with its sign and unit. A metric present on one side only counts as 0 on
 * the other (a vanished bytesExposed of 5.39 GiB is −5.39 GiB); non-numbers that differ are "changed".
 */
export function formatMetricDelta(key: string, a: unknown, b: unknown): string {
  const toNumber = (v: unknown): number | null =>
    v === null || v === undefined
      ? 0
      : typeof v === 'number'
        ? v
        : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
          ? Number(v)
          : null;
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === null || y === null) return 'changed';
  const delta = y - x;
  if (delta === 0) return '0';
  return `${delta > 0 ? '+' : ''}${formatMetricValue(key, delta)}`;
}
