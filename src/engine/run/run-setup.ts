import { invariant } from '../invariant';
import { addChunk, atomicPoolSize, chunkBytesFor, createAtomicPool } from '../pools/atomic-pool';
import { createPrng } from '../prng';
import { createDecisionContext, createDmaDevice, createDmaEnvironment, getKernelProfile } from '../profiles/index';
import { bootSwiotlbSizing } from '../profiles/environment';
import type { AtomicPoolZone, DmaEnvironment } from '../profiles/profile.types';
import { activeHunks, applyOverlays } from '../overlays/index';
import {
  type NormalizedScenario,
  type ResolvedDevice,
  resolveScenario,
  type ResolvedScenario,
} from '../spec/normalize';
import { IO_TLB_SIZE } from '../swiotlb/constants';
import { createRestrictedMem } from '../swiotlb/restricted-pool';
import { createTlbMem, type TlbMem } from '../swiotlb/tlb-mem';
import { carveFrom, carveZone, releaseTransientBacking, swiotlbBacking } from './coherent';
import { FindingLedger } from './findings';
import { IdTable } from './id-table';
import { KernelLog } from './kernel-log';
import { type DeviceState, GiB, MiB, type RunState } from './run-state';
import { maxMappingBytes, countSplit } from './streaming';
import { StreamGenerator } from './workload';

const seriesBuckets = 200;
/** A separate PRNG stream for injected conversion faults, so enabling them does not change the workload. */
const faultSeedSalt = 0x9e3779b9;

/**
 * Where the boot pool and generated buffers sit: the pool in low memory (memblock_alloc_low, below
 * 4 GiB), buffers spread over the rest of RAM — above 4 GiB when there is RAM there, which is what
 * makes 32-bit devices addressing-limited.
 */
function memoryPlan(
  resolved: ResolvedScenario,
  poolBytes: number,
): { poolStart: number; ramStart: number; buffers: { start: number; pages: number } } {
  const ramEnd = Number(resolved.platformContext.ramEnd);
  const layout = resolved.spec.vm.layout;
  const ramStart = layout === 'arm-virt' ? GiB : 0;
  const lowTop = Math.min(ramEnd, ramStart + 2 * GiB);
  const poolStart = Math.max(ramStart + 16 * MiB, Math.floor((lowTop - poolBytes) / (2 * MiB)) * 2 * MiB);
  const highStart = ramEnd > 4 * GiB ? 4 * GiB : ramStart + 64 * MiB;
  const highEnd = ramEnd > 4 * GiB ? ramEnd : poolStart;
  return {
    poolStart,
    ramStart,
    buffers: { start: highStart, pages: Math.max(16, Math.floor((highEnd - highStart) / 4096)) },
  };
}

/** Boots the modelled guest for a spec: boot-time SWIOTLB sizing, atomic pools, io_tlb_mem(s), devices, workload. */
export function createRunState(spec: NormalizedScenario, seed: number): RunState {
  const resolved = resolveScenario(spec);
  const profile = applyOverlays(getKernelProfile(resolved.kernel.profileId), resolved.overlays);
  const sizing = bootSwiotlbSizing(resolved);
  const plan = memoryPlan(resolved, sizing.nslabs * 2048);
  const ramEnd = Number(resolved.platformContext.ramEnd);
  const zoneDmaTop = 2 ** resolved.platform.zoneDmaBits;
  const carve: RunState['carve'] = {
    dma: { next: Math.max(plan.ramStart, MiB), end: Math.min(zoneDmaTop, plan.poolStart) },
    dma32: { next: Math.max(plan.ramStart, zoneDmaTop, 16 * MiB), end: Math.min(plan.poolStart, 4 * GiB) },
    kernel:
      ramEnd > 4 * GiB ? { next: ramEnd - Math.min(ramEnd - 4 * GiB, 2 * GiB), end: ramEnd } : { next: 0, end: 0 },
  };
  const baseEnv = createDmaEnvironment(resolved);
  invariant(
    sizing.nslabs === baseEnv.swiotlb.defaultPoolSlots,
    `boot sizing disagrees: ${sizing.nslabs} vs ${baseEnv.swiotlb.defaultPoolSlots}`,
  );
  const privatePool = baseEnv.swiotlb.privatePoolSlots > 0 ? placePrivatePool(resolved, carve) : null;
  const env: DmaEnvironment =
    privatePool?.nslabs === baseEnv.swiotlb.privatePoolSlots
      ? baseEnv
      : { ...baseEnv, swiotlb: { ...baseEnv.swiotlb, privatePoolSlots: privatePool?.nslabs ?? 0 } };
  const operationsTotal = spec.workload.explicit.length > 0 ? spec.workload.explicit.length : spec.workload.operations;
  const backing = {
    allocate: (bytes: number, physLimit: number, purpose: 'transient' | 'grow') =>
      swiotlbBacking(run, bytes, physLimit, purpose),
    release: (start: number) => releaseTransientBacking(run, start),
  };
  const run: RunState = {
    spec,
    seed,
    resolved,
    env,
    profile,
    devices: new Map(),
    deviceList: [],
    mem: null,
    privateMem: null,
    generator: null,
    findings: new FindingLedger(`${spec.vm.platform}/${resolved.kernel.profileId}`),
    mappings: new IdTable(),
    freeMappings: [],
    coherent: new Map(),
    failedIds: new Set(),
    log: new KernelLog(),
    facts: {
      event: 'map-copy',
      memory: 'swiotlb',
      deviceId: '',
      deviceKind: resolved.devices[0]!.kind,
      trust: resolved.devices[0]!.trust,
      dir: null,
      dataClass: 'secret',
      forcedOnlyByCmdline: false,
      rule: '',
      detail: '',
    },
    faults: createPrng((seed ^ faultSeedSalt) >>> 0),
    atomicPools: {},
    atomicPoolBytes: atomicPoolSize(resolved.totalRamBytes, resolved.coherentPoolBytes),
    atomicGrowthScheduled: false,
    carve,
    counters: {
      bouncedBytesToDevice: 0,
      bouncedBytesFromDevice: 0,
      failedMaps: 0,
      failedCoherentAllocs: 0,
      publicBytesShared: 0,
      coherentSharedBytes: 0,
      decryptCalls: 0,
      decryptPages: 0,
      encryptCalls: 0,
      encryptPages: 0,
      leakedPages: 0,
      conversionFailures: 0,
      copyNs: 0,
      conversionNs: 0,
      areaLocks: 0,
      skipped: 0,
      hostSideSharedBytes: 0,
    },
    series: { t: [], values: { 'swiotlb.used': [], 'swiotlb.bouncedBytes': [], failedMaps: [] } },
    sampleEvery: Math.max(1, Math.ceil(operationsTotal / seriesBuckets)),
    bootLog: [...sizing.log, ...(privatePool?.log ?? [])].map((line) => `software IO TLB: ${line}`),
    sizing,
    memEncrypt: resolved.platform.hasMemEncryption,
    hostObserves: resolved.platform.observers.host,
    mappingDevice: null,
    netDevices: new Set(
      spec.workload.streams.filter((s) => s.type === 'net-rx' || s.type === 'net-tx').map((s) => s.device),
    ),
    operationsTotal,
    operationsDone: 0,
  };
  createAtomicPools(run, plan.ramStart, ramEnd, zoneDmaTop);
  const dynamic = env.config.swiotlbDynamic;
  run.mem =
    sizing.nslabs > 0 || (dynamic && env.swiotlb.archForceBounce)
      ? createTlbMem({
          rules: resolved.kernel.allocatorRules,
          defaultPool:
            sizing.nslabs > 0 ? { nslabs: sizing.nslabs, nareas: sizing.nareas, start: plan.poolStart } : null,
          dynamic,
          ...(dynamic ? { backing } : {}),
        })
      : null;
  run.privateMem =
    privatePool && privatePool.nslabs > 0
      ? createTlbMem({
          rules: resolved.kernel.allocatorRules,
          defaultPool: { nslabs: privatePool.nslabs, nareas: privatePool.nareas, start: privatePool.start },
        })
      : null;
  for (const device of resolved.devices) addDevice(run, device);
  const first = run.deviceList[0]!;
  run.facts.deviceId = first.id;
  run.generator =
    spec.workload.explicit.length > 0
      ? null
      : new StreamGenerator(
          spec,
          createPrng(seed),
          plan.buffers,
          (deviceId) => maxMappingBytes(run, deviceId),
          spec.vm.vcpus,
          (deviceId) => countSplit(run, deviceId),
        );
  return run;
}

/**
 * The dual-pool prototype's private default pool, booted like the shared one by swiotlb_init_remap():
 * memblock_alloc_low() from what low memory the shared pool left (memblock never hands out memory
 * twice, so the pools cannot overlap and swiotlb_find_pool() finds exactly one pool per address),
 * halving down to IO_TLB_MIN_SLABS ("adjusted ... slabs") and giving up below that. Carved before the
 * atomic pools, which the kernel allocates later from the buddy allocator.
 */
function placePrivatePool(
  resolved: ResolvedScenario,
  carve: RunState['carve'],
): { start: number; nslabs: number; nareas: number; log: readonly string[] } | null {
  const region = carve.dma32;
  const room = region.end - Math.ceil(region.next / 4096) * 4096;
  const sizing = bootSwiotlbSizing(resolved, room);
  if (sizing.nslabs === 0)
    return {
      start: 0,
      nslabs: 0,
      nareas: 0,
      log: sizing.log.filter((line) => line.includes('slabs') || line.includes('Cannot')),
    };
  const start = carveFrom(carve, 'dma32', sizing.nslabs * IO_TLB_SIZE);
  invariant(start !== null, 'private pool sized to fit but not carved');
  return {
    start,
    nslabs: sizing.nslabs,
    nareas: sizing.nareas,
    log: sizing.log.filter((line) => line.includes('adjusted') && line.includes('slabs')),
  };
}

/** Atomic pools per zone (docs/kernel-dma.md §6.2): kernel pool when ZONE_NORMAL has memory, dma32/dma when those zones exist. */
function createAtomicPools(run: RunState, ramStart: number, ramEnd: number, zoneDmaTop: number): void {
  if (!run.env.config.dmaCoherentPool) return;
  const zones: AtomicPoolZone[] = [];
  if (ramEnd > 4 * GiB) zones.push('kernel');
  if (ramStart < zoneDmaTop) zones.push('dma');
  if (ramStart < 4 * GiB && run.resolved.platform.zoneDmaBits < 32) zones.push('dma32');
  for (const zone of zones) {
    const pool = createAtomicPool(zone);
    const bytes = chunkBytesFor(run.atomicPoolBytes);
    const start = carveZone(run, zone, bytes);
    if (start === null) continue;
    addChunk(pool, start, bytes, true);
    run.atomicPools[zone] = pool;
    // dma_atomic_pool_init() prints gen_pool_size(): what atomic_pool_expand() added, a whole 2^order block.
    run.bootLog.push(
      `DMA: preallocated ${bytes / 1024} KiB ${zone === 'kernel' ? 'GFP_KERNEL' : zone === 'dma32' ? 'GFP_KERNEL|GFP_DMA32' : 'GFP_KERNEL|GFP_DMA'} pool for atomic allocations`,
    );
  }
}

/** The force-bounce-off hunk is active for this accepted device and would override a forced bounce. */
export function warnsTioDisable(run: RunState, device: DeviceState): boolean {
  const overlay = run.resolved.overlays.find((o) => o.name === 'device-cc-accepted');
  const forced = run.env.swiotlb.archForceBounce || run.env.swiotlb.cmdlineForceBounce;
  return (
    overlay !== undefined &&
    device.ctx.dev.accepted &&
    forced &&
    !run.env.swiotlb.noforce &&
    activeHunks(overlay).includes('force-bounce-off')
  );
}

function addDevice(run: RunState, device: ResolvedDevice): void {
  let restricted: TlbMem | null = null;
  if (device.restrictedPoolBytes !== null) {
    const bytes = device.restrictedPoolBytes;
    const start = carveZone(run, 'dma32', bytes) ?? carveZone(run, 'dma', bytes) ?? carveZone(run, 'kernel', bytes);
    invariant(start !== null, `no room for the restricted pool of ${device.id}`);
    restricted = createRestrictedMem({ rules: run.resolved.kernel.allocatorRules, start, sizeBytes: bytes });
  }
  const limit =
    device.busDmaLimit === 0n
      ? device.dmaMask
      : device.dmaMask < device.busDmaLimit
        ? device.dmaMask
        : device.busDmaLimit;
  const env: DmaEnvironment = run.env;
  const state: DeviceState = {
    index: run.deviceList.length,
    id: device.id,
    resolved: device,
    ctx: createDecisionContext(run.profile, env, createDmaDevice(device)),
    swiotlb: {
      minAlignMask: Number(device.minAlignMask),
      segBoundaryMask: device.segBoundaryMask,
      physLimit: Number(limit > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : limit),
    },
    counters: {
      maps: 0,
      bounces: 0,
      directMaps: 0,
      gpadlBuffers: 0,
      errors: 0,
      bytes: 0,
      acceptBusy: 0,
      splitRequests: 0,
      forcedBounces: 0,
    },
    restricted,
    live: 0,
    gpadl: device.kind === 'vmbus-netvsc' && device.trust === 'untrusted' && run.resolved.platform.isCocoGuest,
    privateNetvscBuffers:
      device.kind === 'vmbus-netvsc' && device.trust === 'confidential-vmbus' && run.resolved.platform.isCocoGuest,
    refusedAtProbe: !device.accessPlatform && run.resolved.platform.requiresVirtioAccessPlatform,
    capableUpTo: { default: -1, restricted: -1, 'private-default': -1 },
    tioWarn: false,
    firstBounceOp: -1,
    firstSplitOp: -1,
    maxMapping: -1,
    decisionCache: new Map(),
  };
  state.tioWarn = warnsTioDisable(run, state);
  run.devices.set(device.id, state);
  run.deviceList.push(state);
  if (state.refusedAtProbe)
    run.log.log(
      `${device.id}:virtio_features_ok`,
      'every',
      -1,
      `virtio ${device.id}: device must provide VIRTIO_F_ACCESS_PLATFORM`,
    );
}
