import { canonicalJson } from '../canonical-json';
import { activeHunks, overlayNotes } from '../overlays/index';
import type { EngineReport, MetricValue } from '../report/report.types';
import { summarizeFindings } from '../report/verdict';
import { sha256Hex } from '../sha256';
import { ENGINE_VERSION } from '../version';
import { costModel, type RunState } from './run-state';

/** The report of everything executed so far (docs/engine-contract.md §9): findings, metrics, series, kernel log, hashed. */
export function assembleReport(run: RunState): EngineReport {
  addPerformanceFindings(run);
  const violations = run.findings.violationList();
  const failures = run.findings.failureList();
  const metrics = runMetrics(run);
  for (const v of violations)
    metrics[`violations.${v.class}.bytesExposed`] =
      ((metrics[`violations.${v.class}.bytesExposed`] as number | undefined) ?? 0) + v.bytesExposed;
  const { verdict, levels, bySeverity, byClass, failedOperations, bytesExposed } = summarizeFindings(
    violations,
    failures,
  );
  const body = {
    engineVersion: ENGINE_VERSION,
    specHash: sha256Hex(canonicalJson(run.spec)),
    seed: run.seed,
    platform: run.spec.vm.platform,
    profile: `${run.spec.kernel.profile} (${run.resolved.kernel.profileId})`,
    overlays: run.resolved.overlays.map((o) => ({
      name: o.name,
      ...(o.variant ? { variant: o.variant } : {}),
      hunks: activeHunks(o),
    })),
    summary: {
      verdict,
      levels,
      operations: run.operationsDone,
      violations: violations.length,
      failures: failures.length,
      bySeverity,
      byClass,
      failedOperations,
      bytesExposed,
    },
    violations,
    failures,
    metrics,
    series: { t: run.series.t, values: run.series.values },
    kernelLog: [
      ...run.bootLog.map((text) => ({ op: -1, text })),
      ...run.log.lines,
      ...[...overlayNotes(run.resolved.overlays), ...specNotes(run)].map((text) => ({ op: -1, text: `note: ${text}` })),
    ],
    costModel: { ...costModel, ...conversionCostModel(run), note: 'modelled, not measured' },
  };
  return { ...body, resultHash: sha256Hex(canonicalJson(body)) };
}

/**
 * F15 (performance cliffs, info, docs/kernel-dma.md §10.2): network devices whose fragments are all bounce-copied
 * because the CoCo policy forces it (the copy runs in softirq and the first bounce clears page_pool's
 * dma_skip_sync — S1, S15; an addressing-limited NIC on an SME host, S14, is not flagged), and
 * requests the block layer split at dma_max_mapping_size() (S2, S16).
 */
function addPerformanceFindings(run: RunState): void {
  for (const device of run.deviceList) {
    if (device.firstBounceOp >= 0 && run.netDevices.has(device.id))
      run.findings.addFailure(
        'F15',
        device.id,
        device.index,
        device.firstBounceOp,
        'bounce-copy',
        'bounce',
        null,
        device.counters.forcedBounces,
      );
    if (device.counters.splitRequests > 0)
      run.findings.addFailure(
        'F15',
        device.id,
        device.index,
        device.firstSplitOp,
        'max-mapping-split',
        'split',
        null,
        device.counters.splitRequests,
      );
  }
}

/** Statements about the spec the kernel would not print but a reader must know. */
function specNotes(run: RunState): string[] {
  const notes = (run.resolved.swiotlbCmdline.ignored ?? []).map(
    (value) =>
      `swiotlb=${value}: setup_io_tlb_npages() ignored what follows the numbers (only "force" or "noforce" are understood) — the kernel boots without it`,
  );
  if (!run.resolved.overlays.some((o) => o.name === 'device-cc-accepted')) {
    for (const device of run.deviceList) {
      if (device.resolved.trust === 'tdisp-accepted')
        notes.push(
          `${device.id} is tdisp-accepted, but without the device-cc-accepted overlay the kernel has no device_cc_accepted(): it is treated as an untrusted device`,
        );
    }
  }
  return notes;
}

function conversionCostModel(run: RunState): Record<string, number | string> {
  const cost = run.resolved.platform.conversionCost;
  return {
    conversionMechanism: cost.mechanism,
    conversionPerCallNs: cost.perCallNs,
    decryptPerPageNs: cost.decryptPerPageNs,
    encryptPerPageNs: cost.encryptPerPageNs,
    conversionPagesPerCall: cost.pagesPerCall,
    conversionNeedsCacheFlush: cost.needsCacheFlush ? 'yes' : 'no',
  };
}

function runMetrics(run: RunState): Record<string, MetricValue> {
  const mem = run.mem;
  const counters = run.counters;
  const metrics: Record<string, MetricValue> = {
    'swiotlb.nslabs': run.sizing.nslabs,
    'swiotlb.nareas': run.sizing.nareas,
    'swiotlb.areaSlots': run.sizing.areaSlots,
    'swiotlb.used': mem?.used ?? 0,
    'swiotlb.hiwater': mem?.hiwater ?? 0,
    'swiotlb.transientSlots': mem?.transientSlots ?? 0,
    'swiotlb.poolsGrown': mem?.stats.poolsGrown ?? 0,
    'swiotlb.transientPoolsCreated': mem?.stats.transientPoolsCreated ?? 0,
    'swiotlb.bouncedBytesToDevice': counters.bouncedBytesToDevice,
    'swiotlb.bouncedBytesFromDevice': counters.bouncedBytesFromDevice,
    'swiotlb.slotsScannedMax': mem?.stats.slotsScannedMax ?? 0,
    'swiotlb.slotsScannedPerMap': mem && mem.stats.maps > 0 ? round(mem.stats.slotsScanned / mem.stats.maps) : 0,
    failedMaps: counters.failedMaps,
    failedCoherentAllocs: counters.failedCoherentAllocs,
    skippedOps: counters.skipped,
    'shared.publicBytes': counters.publicBytesShared,
    'shared.hostSideBytes': counters.hostSideSharedBytes,
    'coherent.sharedBytes': counters.coherentSharedBytes,
    'conversions.decryptCalls': counters.decryptCalls,
    'conversions.decryptPages': counters.decryptPages,
    'conversions.encryptCalls': counters.encryptCalls,
    'conversions.encryptPages': counters.encryptPages,
    'conversions.leakedPages': counters.leakedPages,
    'conversions.failures': counters.conversionFailures,
    'conversions.bootDecryptPages': run.resolved.platform.isCocoGuest
      ? Math.ceil((run.sizing.nslabs * 2048) / 4096)
      : 0,
    'cost.bounceCopyNs': Math.round(counters.copyNs),
    'cost.slotSearchNs': (mem?.stats.slotsScanned ?? 0) * costModel.slotScanNs,
    'cost.conversionNs': counters.conversionNs,
    'cost.lockNs': counters.areaLocks * costModel.lockNs,
    'cost.totalNs':
      Math.round(counters.copyNs) +
      (mem?.stats.slotsScanned ?? 0) * costModel.slotScanNs +
      counters.conversionNs +
      counters.areaLocks * costModel.lockNs,
    'kernelLog.dropped': run.log.dropped,
  };
  for (const reason of ['full', 'fragmented', 'too-large', 'alignment', 'no-pool'] as const)
    metrics[`swiotlb.failures.${reason}`] = mem?.stats.failures[reason] ?? 0;
  addAtomicPoolMetrics(run, metrics);
  addMemoryCostMetrics(run, metrics);
  addDeviceMetrics(run, metrics);
  return metrics;
}

function addAtomicPoolMetrics(run: RunState, metrics: Record<string, MetricValue>): void {
  for (const zone of ['kernel', 'dma32', 'dma'] as const) {
    const pool = run.atomicPools[zone];
    if (!pool) continue;
    metrics[`atomicPools.${zone}.initialBytes`] = pool.initialBytes;
    metrics[`atomicPools.${zone}.sizeBytes`] = pool.sizeBytes;
    metrics[`atomicPools.${zone}.usedBytes`] = pool.usedBytes;
    metrics[`atomicPools.${zone}.usedBytesMax`] = pool.usedBytesMax;
    metrics[`atomicPools.${zone}.growthEvents`] = pool.growthEvents;
    metrics[`atomicPools.${zone}.exhaustions`] = pool.exhaustions;
  }
}

/**
 * Slot metadata of one pool as swiotlb_init_remap() allocates it: PAGE_ALIGN(nslabs *
 * sizeof(struct io_tlb_slot)) for the slots (phys_addr_t orig_addr, size_t alloc_size, unsigned
 * short list, unsigned short pad_slots: 20 bytes, 24 with 8-byte alignment) plus nareas *
 * sizeof(struct io_tlb_area) (unsigned long used, unsigned int index, spinlock_t: 16 bytes).
 */
export function slotMetadataBytes(nslabs: number, nareas: number): number {
  if (nslabs === 0) return 0;
  return Math.ceil((nslabs * ioTlbSlotBytes) / 4096) * 4096 + nareas * ioTlbAreaBytes;
}
const ioTlbSlotBytes = 24;
const ioTlbAreaBytes = 16;

/**
 * What the pools cost in memory: slot metadata per pool, the private pool of the dual-pool
 * prototype, memory left decrypted (shared) at the end of the run, and low memory (below 4 GiB)
 * taken by the boot-time SWIOTLB pools and the ZONE_DMA/DMA32 atomic pools.
 */
function addMemoryCostMetrics(run: RunState, metrics: Record<string, MetricValue>): void {
  metrics['swiotlb.slotMetadataBytes'] = slotMetadataBytes(run.sizing.nslabs, run.sizing.nareas);
  const priv = run.privateMem;
  if (run.resolved.overlays.some((o) => o.name === 'dual-swiotlb-pools')) {
    metrics['swiotlb.private.nslabs'] = priv?.nslabs ?? 0;
    metrics['swiotlb.private.used'] = priv?.used ?? 0;
    metrics['swiotlb.private.hiwater'] = priv?.hiwater ?? 0;
    metrics['swiotlb.private.slotMetadataBytes'] = priv
      ? slotMetadataBytes(priv.nslabs, priv.pools[0]?.nareas ?? 1)
      : 0;
  }
  const atomic = (['kernel', 'dma32', 'dma'] as const).map((zone) => run.atomicPools[zone]);
  const atomicInitial = atomic.reduce((sum, pool) => sum + (pool?.initialBytes ?? 0), 0);
  const bootShared = run.resolved.platform.isCocoGuest
    ? run.sizing.nslabs * 2048 + (run.memEncrypt ? atomicInitial : 0)
    : 0;
  metrics['memory.decryptedBytes'] = bootShared + (run.counters.decryptPages - run.counters.encryptPages) * 4096;
  const lowAtomic = (run.atomicPools.dma?.sizeBytes ?? 0) + (run.atomicPools.dma32?.sizeBytes ?? 0);
  metrics['memory.lowBytesConsumed'] = (run.sizing.nslabs + (priv?.nslabs ?? 0)) * 2048 + lowAtomic;
}

function addDeviceMetrics(run: RunState, metrics: Record<string, MetricValue>): void {
  for (const device of [...run.deviceList].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const id = device.id;
    const counters = device.counters;
    const max = run.profile.maxMappingSize(device.ctx).bytes;
    metrics[`devices.${id}.maxMappingBytes`] = max === 'unlimited' ? 'unlimited' : max;
    metrics[`devices.${id}.maps`] = counters.maps;
    metrics[`devices.${id}.bounces`] = counters.bounces;
    metrics[`devices.${id}.directMaps`] = counters.directMaps;
    metrics[`devices.${id}.errors`] = counters.errors;
    if (counters.gpadlBuffers > 0) metrics[`devices.${id}.gpadlBuffers`] = counters.gpadlBuffers;
    if (counters.acceptBusy > 0) metrics[`devices.${id}.acceptBusy`] = counters.acceptBusy;
    if (device.restricted) {
      metrics[`devices.${id}.restrictedPool.nslabs`] = device.restricted.nslabs;
      metrics[`devices.${id}.restrictedPool.hiwater`] = device.restricted.hiwater;
    }
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
