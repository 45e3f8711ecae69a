import { canonicalJson } from '../canonical-json';
import { attributeExposure, type ExposureFacts } from '../detectors/index';
import type { EngineRun } from '../engine-run.types';
import { invariant } from '../invariant';
import { applyOverlays, overlayNotes } from '../overlays/index';
import { addChunk, type AtomicPool, atomicPoolSize, chunkBytesFor, createAtomicPool, poolAlloc, poolAvail, poolFree } from '../pools/atomic-pool';
import { createPrng, type Prng } from '../prng';
import { createDecisionContext, createDmaDevice, createDmaEnvironment, getKernelProfile } from '../profiles/index';
import type { AtomicPoolZone, CoherentAllocDecision, DecisionContext, DmaEnvironment, FailureClass, KernelProfile, StreamingMapDecision, SwiotlbPoolKind } from '../profiles/profile.types';
import type { EngineReport, MetricValue } from '../report/report.types';
import { sha256Hex } from '../sha256';
import { toPhysAddr } from '../spec/address';
import { type NormalizedScenario, type ResolvedDevice, resolveScenario, type ResolvedScenario } from '../spec/normalize';
import type { DmaAttr, DmaDirection, SpecDataClass } from '../spec/names';
import { bootSizing } from '../swiotlb/boot-sizing';
import { deleteTransientPool, growPool } from '../swiotlb/dynamic';
import { tblMapSingle, tblUnmapSingle } from '../swiotlb/map-single';
import type { SwiotlbDevice } from '../swiotlb/pool';
import { createRestrictedMem, swiotlbAlloc, swiotlbFree } from '../swiotlb/restricted-pool';
import { createTlbMem, findPool, type SlotFailureReason, type TlbMem } from '../swiotlb/tlb-mem';
import { ENGINE_VERSION } from '../version';
import { FindingLedger } from './findings';
import { KernelLog } from './kernel-log';
import type { LoweredOp } from './lowered-op';
import { StreamGenerator } from './workload';

// Bound once: under esbuild/tsx each cross-module call goes through an export getter, which costs
// measurably per operation on the hot path (the same trick as the allocator benchmark).
const mapSingle = tblMapSingle;
const unmapSingle = tblUnmapSingle;
const attribute = attributeExposure;

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const seriesBuckets = 200;
/** Modelled cost parameters (docs/engine-contract.md §8): inputs with documented defaults, not measurements. */
const costModel = { memcpyBytesPerNs: 10, slotScanNs: 2, lockNs: 20, cacheFlushPerPageNs: 100, conversionPerPageNs: 2000 } as const;
/** A separate PRNG stream for injected conversion faults, so enabling them does not change the workload. */
const faultSeedSalt = 0x9e3779b9;

type MapOp = Extract<LoweredOp, { kind: 'map' }>;
type MapPath = 'swiotlb' | 'direct' | 'bypass' | 'gpadl';

/** A live streaming mapping. Recycled through a free list (unmap returns it), so steady state allocates none. */
interface LiveMapping {
  device: DeviceState;
  dir: DmaDirection;
  path: MapPath;
  rule: string;
  /** Memory the device touches is shared (bounce slots, CC_SHARED page, GPADL buffer). */
  shared: boolean;
  readonly phys: number[];
  readonly sizes: number[];
  /** Bounce address per segment, -1 when mapped directly. */
  readonly tlbs: number[];
  readonly data: SpecDataClass[];
  /** Segments in use (the arrays are reused and may be longer). */
  count: number;
  totalBytes: number;
}

interface CoherentRegion {
  readonly device: DeviceState;
  readonly size: number;
  readonly shared: boolean;
  readonly memory: 'atomic-pool' | 'coherent-pages' | 'restricted-pool';
  readonly decision: CoherentAllocDecision;
  readonly addr: number;
  readonly pool: AtomicPool | null;
}

interface DeviceCounters {
  maps: number;
  bounces: number;
  directMaps: number;
  gpadlBuffers: number;
  errors: number;
  bytes: number;
  acceptBusy: number;
  splitRequests: number;
  /** Bounces forced by the CoCo policy (not by an addressing limit). */
  forcedBounces: number;
}

interface DeviceState {
  readonly index: number;
  readonly id: string;
  readonly resolved: ResolvedDevice;
  ctx: DecisionContext;
  readonly swiotlb: SwiotlbDevice;
  readonly counters: DeviceCounters;
  /** The device's restricted-dma-pool (docs/kernel-dma.md §5.10), when it has one. */
  readonly restricted: TlbMem | null;
  /** Live streaming mappings and coherent regions (device_cc_accept() returns -EBUSY while > 0). */
  live: number;
  /** Non-confidential VMBus netvsc in a CoCo guest: payload goes through decrypted GPADL buffers (V9). */
  readonly gpadl: boolean;
  /** virtio without ACCESS_PLATFORM in a CoCo guest: refused at probe (F14). */
  readonly refusedAtProbe: boolean;
  /** Highest bounce address+size-1 already checked reachable by swiotlb_map()'s dma_capable() re-check, per pool kind. */
  readonly capableUpTo: Record<SwiotlbPoolKind, number>;
  firstBounceOp: number;
  firstSplitOp: number;
  /** dma_max_mapping_size() in bytes (MAX_SAFE_INTEGER for SIZE_MAX); -1 until computed, reset on accept/reject. */
  maxMapping: number;
  /**
   * Streaming decisions that depend on neither the address nor the size (forced bounce A4/B2, the
   * L-B CC rule B5) for attribute-free maps, per direction; cleared on accept/reject.
   */
  readonly decisionCache: Map<DmaDirection, StreamingMapDecision>;
}

const failureForSlots: Record<SlotFailureReason, 'F1' | 'F2' | 'F3'> = { 'no-pool': 'F1', full: 'F1', fragmented: 'F1', 'too-large': 'F2', alignment: 'F3' };

/** Path details of the map-time copy, precomputed so the hot path builds no strings. */
const mapCopyDetail: Record<SwiotlbPoolKind, Record<'forced' | 'not-capable' | 'cc-rule', string>> = {
  default: { forced: 'default pool, forced', 'not-capable': 'default pool, not-capable', 'cc-rule': 'default pool, cc-rule' },
  restricted: { forced: 'restricted pool, forced', 'not-capable': 'restricted pool, not-capable', 'cc-rule': 'restricted pool, cc-rule' },
  'private-default': { forced: 'private-default pool, forced', 'not-capable': 'private-default pool, not-capable', 'cc-rule': 'private-default pool, cc-rule' },
};
const transientDetail = { forced: 'transient pool, forced', 'not-capable': 'transient pool, not-capable', 'cc-rule': 'transient pool, cc-rule' } as const;

/**
 * Where the boot pool and generated buffers sit: the pool in low memory (memblock_alloc_low, below
 * 4 GiB), buffers spread over the rest of RAM — above 4 GiB when there is RAM there, which is what
 * makes 32-bit devices addressing-limited.
 */
function memoryPlan(resolved: ResolvedScenario, poolBytes: number): { poolStart: number; ramStart: number; buffers: { start: number; pages: number } } {
  const ramEnd = Number(resolved.platformContext.ramEnd);
  const layout = resolved.spec.vm.layout;
  const ramStart = layout === 'arm-virt' ? GiB : 0;
  const lowTop = Math.min(ramEnd, ramStart + 2 * GiB);
  const poolStart = Math.max(ramStart + 16 * MiB, Math.floor((lowTop - poolBytes) / (2 * MiB)) * 2 * MiB);
  const highStart = ramEnd > 4 * GiB ? 4 * GiB : ramStart + 64 * MiB;
  const highEnd = ramEnd > 4 * GiB ? ramEnd : poolStart;
  return { poolStart, ramStart, buffers: { start: highStart, pages: Math.max(16, Math.floor((highEnd - highStart) / 4096)) } };
}

export interface EngineRunOptions {
  /** Overrides the spec's workload seed. */
  readonly seed?: number;
}

/** Starts a run of a normalised spec (the engine's one entry point; see EngineRun). */
export function createEngineRun(spec: NormalizedScenario, options: EngineRunOptions = {}): EngineRun {
  return new ScenarioRun(spec, options.seed ?? spec.workload.seed);
}

class ScenarioRun implements EngineRun {
  readonly operationsTotal: number;
  operationsDone = 0;
  private readonly resolved: ResolvedScenario;
  private readonly env: DmaEnvironment;
  private readonly profile: KernelProfile;
  private readonly devices = new Map<string, DeviceState>();
  private readonly deviceList: DeviceState[] = [];
  private readonly mem: TlbMem | null;
  private readonly privateMem: TlbMem | null;
  private readonly generator: StreamGenerator | null;
  private readonly findings: FindingLedger;
  private readonly mappings = new Map<string | number, LiveMapping>();
  private readonly freeMappings: LiveMapping[] = [];
  private readonly coherent = new Map<string | number, CoherentRegion>();
  private readonly failedIds = new Set<string | number>();
  private readonly log = new KernelLog();
  private readonly facts: ExposureFacts;
  private readonly faults: Prng;
  private readonly atomicPools: Partial<Record<AtomicPoolZone, AtomicPool>> = {};
  private readonly atomicPoolBytes: number;
  private atomicGrowthScheduled = false;
  private readonly carve: Record<AtomicPoolZone, { next: number; end: number }>;
  private readonly counters = {
    bouncedBytesToDevice: 0, bouncedBytesFromDevice: 0, failedMaps: 0, failedCoherentAllocs: 0, publicBytesShared: 0, coherentSharedBytes: 0,
    decryptCalls: 0, decryptPages: 0, encryptCalls: 0, encryptPages: 0, leakedPages: 0, conversionFailures: 0, copyNs: 0, conversionNs: 0, skipped: 0, hostSideSharedBytes: 0,
  };
  private readonly series: { t: number[]; values: Record<string, number[]> } = { t: [], values: { 'swiotlb.used': [], 'swiotlb.bouncedBytes': [], failedMaps: [] } };
  private readonly sampleEvery: number;
  private readonly bootLog: string[];
  private readonly sizing: { nslabs: number; nareas: number; areaSlots: number };
  private readonly memEncrypt: boolean;
  /** An observer outside the trust boundary reads shared memory (the host of a CoCo guest). */
  private readonly hostObserves: boolean;
  /** The device whose map is in swiotlb_find_slots() (for the transient-pool WARN). */
  private mappingDevice: DeviceState | null = null;
  /** Devices that carry generated network streams (F15 bounce-copy applies to them). */
  private readonly netDevices: ReadonlySet<string>;

  constructor(
    private readonly spec: NormalizedScenario,
    private readonly seed: number,
  ) {
    this.resolved = resolveScenario(spec);
    const env = createDmaEnvironment(this.resolved);
    this.env = env;
    this.memEncrypt = this.resolved.platform.hasMemEncryption;
    this.hostObserves = this.resolved.platform.observers.host;
    this.netDevices = new Set(spec.workload.streams.filter((s) => s.type === 'net-rx' || s.type === 'net-tx').map((s) => s.device));
    this.profile = applyOverlays(getKernelProfile(this.resolved.kernel.profileId), this.resolved.overlays);
    const policy = this.resolved.platform.swiotlbBoot(this.resolved.platformContext);
    const requested = this.resolved.platform.archRequestedSwiotlbBytes(this.resolved.totalRamBytes);
    const sizing = bootSizing({ cmdline: this.resolved.swiotlbCmdline, archWantsSwiotlb: policy.archWantsSwiotlb, possibleCpus: spec.vm.vcpus, ...(requested === null ? {} : { archRequestedBytes: requested }) });
    invariant(sizing.nslabs === env.swiotlb.defaultPoolSlots, `boot sizing disagrees: ${sizing.nslabs} vs ${env.swiotlb.defaultPoolSlots}`);
    this.sizing = sizing;
    this.bootLog = sizing.log.map((line) => `software IO TLB: ${line}`);
    const plan = memoryPlan(this.resolved, sizing.nslabs * 2048);
    this.faults = createPrng((seed ^ faultSeedSalt) >>> 0);
    this.findings = new FindingLedger(`${spec.vm.platform}/${this.resolved.kernel.profileId}`);

    // Physical memory the model carves pools from, per zone (bump allocation; pools never return memory).
    const ramEnd = Number(this.resolved.platformContext.ramEnd);
    const zoneDmaTop = 2 ** this.resolved.platform.zoneDmaBits;
    this.carve = {
      dma: { next: Math.max(plan.ramStart, MiB), end: Math.min(zoneDmaTop, plan.poolStart) },
      dma32: { next: Math.max(plan.ramStart, zoneDmaTop, 16 * MiB), end: Math.min(plan.poolStart, 4 * GiB) },
      kernel: ramEnd > 4 * GiB ? { next: ramEnd - Math.min(ramEnd - 4 * GiB, 2 * GiB), end: ramEnd } : { next: 0, end: 0 },
    };

    // Atomic pools per zone (docs/kernel-dma.md §6.2): kernel pool when ZONE_NORMAL has memory, dma32/dma when those zones exist.
    this.atomicPoolBytes = atomicPoolSize(this.resolved.totalRamBytes, this.resolved.coherentPoolBytes);
    if (env.config.dmaCoherentPool) {
      const zones: AtomicPoolZone[] = [];
      if (ramEnd > 4 * GiB) zones.push('kernel');
      if (plan.ramStart < zoneDmaTop) zones.push('dma');
      if (plan.ramStart < 4 * GiB && this.resolved.platform.zoneDmaBits < 32) zones.push('dma32');
      for (const zone of zones) {
        const pool = createAtomicPool(zone);
        const bytes = chunkBytesFor(this.atomicPoolBytes);
        const start = this.carveZone(zone, bytes);
        if (start !== null) {
          addChunk(pool, start, bytes, true);
          this.atomicPools[zone] = pool;
          this.bootLog.push(`DMA: preallocated ${this.atomicPoolBytes / 1024} KiB ${zone === 'kernel' ? 'GFP_KERNEL' : zone === 'dma32' ? 'GFP_KERNEL|GFP_DMA32' : 'GFP_KERNEL|GFP_DMA'} pool for atomic allocations`);
        }
      }
    }

    const dynamic = env.config.swiotlbDynamic;
    this.mem =
      sizing.nslabs > 0 || (dynamic && env.swiotlb.archForceBounce)
        ? createTlbMem({
            rules: this.resolved.kernel.allocatorRules,
            defaultPool: sizing.nslabs > 0 ? { nslabs: sizing.nslabs, nareas: sizing.nareas, start: plan.poolStart } : null,
            dynamic,
            ...(dynamic ? { backing: { allocate: (bytes: number, physLimit: number, purpose: 'transient' | 'grow') => this.swiotlbBacking(bytes, physLimit, purpose), release: (start: number) => this.releaseTransientBacking(start) } } : {}),
          })
        : null;
    this.privateMem =
      env.swiotlb.privatePoolSlots > 0
        ? createTlbMem({ rules: this.resolved.kernel.allocatorRules, defaultPool: { nslabs: env.swiotlb.privatePoolSlots, nareas: Math.max(1, sizing.nareas), start: this.carveZone('dma32', env.swiotlb.privatePoolSlots * 2048) ?? plan.poolStart } })
        : null;

    for (const device of this.resolved.devices) {
      let restricted: TlbMem | null = null;
      if (device.restrictedPoolBytes !== null) {
        const start = this.carveZone('dma32', device.restrictedPoolBytes) ?? this.carveZone('dma', device.restrictedPoolBytes) ?? this.carveZone('kernel', device.restrictedPoolBytes);
        invariant(start !== null, `no room for the restricted pool of ${device.id}`);
        restricted = createRestrictedMem({ rules: this.resolved.kernel.allocatorRules, start, sizeBytes: device.restrictedPoolBytes });
      }
      const limit = device.busDmaLimit === 0n ? device.dmaMask : device.dmaMask < device.busDmaLimit ? device.dmaMask : device.busDmaLimit;
      const state: DeviceState = {
        index: this.deviceList.length,
        id: device.id,
        resolved: device,
        ctx: createDecisionContext(this.profile, env, createDmaDevice(device)),
        swiotlb: { minAlignMask: Number(device.minAlignMask), segBoundaryMask: device.segBoundaryMask, physLimit: Number(limit > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : limit) },
        counters: { maps: 0, bounces: 0, directMaps: 0, gpadlBuffers: 0, errors: 0, bytes: 0, acceptBusy: 0, splitRequests: 0, forcedBounces: 0 },
        restricted,
        live: 0,
        gpadl: device.kind === 'vmbus-netvsc' && device.trust === 'untrusted' && this.resolved.platform.isCocoGuest,
        refusedAtProbe: !device.accessPlatform && this.resolved.platform.requiresVirtioAccessPlatform,
        capableUpTo: { default: -1, restricted: -1, 'private-default': -1 },
        firstBounceOp: -1,
        firstSplitOp: -1,
        maxMapping: -1,
        decisionCache: new Map(),
      };
      this.devices.set(device.id, state);
      this.deviceList.push(state);
      if (state.refusedAtProbe) this.log.log(`${device.id}:virtio_features_ok`, 'every', -1, `virtio ${device.id}: device must provide VIRTIO_F_ACCESS_PLATFORM`);
    }
    const first = this.deviceList[0]!;
    this.facts = { event: 'map-copy', memory: 'swiotlb', deviceId: first.id, deviceKind: first.resolved.kind, trust: first.resolved.trust, dir: null, dataClass: 'secret', forcedOnlyByCmdline: false, rule: '', detail: '' };

    this.operationsTotal = spec.workload.explicit.length > 0 ? spec.workload.explicit.length : spec.workload.operations;
    this.sampleEvery = Math.max(1, Math.ceil(this.operationsTotal / seriesBuckets));
    this.generator =
      spec.workload.explicit.length > 0
        ? null
        : new StreamGenerator(spec, createPrng(seed), plan.buffers, (deviceId) => this.maxMappingBytes(deviceId), spec.vm.vcpus, (deviceId) => this.countSplit(deviceId));
  }

  step(maxOperations: number): boolean {
    const end = Math.min(this.operationsTotal, this.operationsDone + maxOperations);
    const deferredEvery = this.spec.kernel.config.deferredWorkEveryOps;
    while (this.operationsDone < end) {
      const op = this.generator ? (this.generator.isEmpty ? null : this.generator.next()) : lowerExplicit(this.spec.workload.explicit[this.operationsDone]!);
      if (op === null) {
        this.operationsDone = this.operationsTotal;
        break;
      }
      this.execute(op, this.operationsDone);
      this.operationsDone++;
      if (this.operationsDone % this.sampleEvery === 0) this.sample();
      if (this.generator && this.operationsDone % deferredEvery === 0) this.runDeferred(this.operationsDone);
    }
    return this.operationsDone >= this.operationsTotal;
  }

  /** The block layer split a request at dma_max_mapping_size() (F15). */
  private countSplit(deviceId: string): void {
    const device = this.devices.get(deviceId)!;
    if (device.counters.splitRequests++ === 0) device.firstSplitOp = this.operationsDone;
  }

  private maxMappingBytes(deviceId: string): number {
    const device = this.devices.get(deviceId)!;
    if (device.maxMapping < 0) {
      const size = this.profile.maxMappingSize(device.ctx);
      device.maxMapping = size.bytes === 'unlimited' ? Number.MAX_SAFE_INTEGER : size.bytes;
    }
    return device.maxMapping;
  }

  /**
   * dma_direct_map_phys()'s decision, reusing one that cannot depend on the address or size:
   * attribute-free maps whose decision was a forced bounce or the L-B CC rule (without
   * `swiotlb=force`, whose V5 check compares with the unforced decision, which can depend on both).
   */
  private decide(device: DeviceState, phys: number, size: number, dir: DmaDirection, attrs: readonly DmaAttr[]): StreamingMapDecision {
    const cacheable = attrs.length === 0 && !this.env.swiotlb.cmdlineForceBounce;
    if (cacheable) {
      const cached = device.decisionCache.get(dir);
      if (cached) return cached;
    }
    const decision = this.profile.decideStreamingMap(device.ctx, { phys: toPhysAddr(phys), sizeBytes: size, dir, attrs });
    if (cacheable && decision.path === 'swiotlb' && (decision.reason === 'forced' || decision.reason === 'cc-rule')) device.decisionCache.set(dir, decision);
    return decision;
  }

  /** Carves `bytes` of physical memory from a zone (page-aligned), or null when the zone is full. */
  private carveZone(zone: AtomicPoolZone, bytes: number): number | null {
    const region = this.carve[zone];
    const start = Math.ceil(region.next / 4096) * 4096;
    if (start + bytes > region.end) return null;
    region.next = start + bytes;
    return start;
  }

  private execute(op: LoweredOp, index: number): void {
    switch (op.kind) {
      case 'map':
        return this.map(op, index);
      case 'unmap':
        return this.unmap(op.id, index);
      case 'device_write':
        return this.deviceWrite(op.id, op.bytes, op.data, index);
      case 'cpu_write':
        return this.cpuWrite(op.id, op.bytes, op.data, index);
      case 'sync':
        return this.sync(op.id, op.target, op.offset, op.length, index);
      case 'alloc_coherent':
        return this.allocCoherent(op, index);
      case 'free_coherent':
        return this.freeCoherent(op.id, index);
      case 'run_deferred':
        return this.runDeferred(index);
      case 'accept_device':
      case 'reject_device':
        return this.acceptOrReject(op.kind, op.device, index);
      case 'device_read':
        // Reading moves no data into host-visible memory.
        return;
    }
  }

  // ---- exposure -------------------------------------------------------------------------------

  /** Attributes `bytes` of confidential data that reached shared memory (docs/engine-contract.md §5) through the detectors. */
  private expose(device: DeviceState, index: number, bytes: number): void {
    if (!this.hostObserves) {
      // SME host (S14): decrypted memory is visible to the device and the host itself, which is the
      // trust domain — "host-side only", no confidentiality boundary is crossed.
      this.counters.hostSideSharedBytes += bytes;
      return;
    }
    const facts = this.facts;
    facts.deviceId = device.id;
    facts.deviceKind = device.resolved.kind;
    facts.trust = device.resolved.trust;
    const detector = attribute(facts);
    if (detector) this.findings.addViolation(detector, facts, device.index, index, bytes);
  }

  private setFacts(event: ExposureFacts['event'], memory: ExposureFacts['memory'], dir: DmaDirection | null, data: Exclude<SpecDataClass, 'public'> | 'stale', rule: string, detail: string, forcedOnlyByCmdline: boolean): void {
    const facts = this.facts;
    facts.event = event;
    facts.memory = memory;
    facts.dir = dir;
    facts.dataClass = data;
    facts.rule = rule;
    facts.detail = detail;
    facts.forcedOnlyByCmdline = forcedOnlyByCmdline;
  }

  // ---- streaming maps -------------------------------------------------------------------------

  /**
   * Records a failure and logs its kernel line at call site `site` with the kernel's limiting.
   * `devPrefix`: dev_warn/dev_WARN lines carry the device name; WARN/pr_warn lines do not.
   */
  private failure(device: DeviceState, index: number, cls: FailureClass, rule: string, detail: string, site: string, limit: 'once' | 'ratelimited' | 'every' | 'none', text: (() => string) | null, devPrefix = true): void {
    if (text && limit !== 'none') this.log.log(site, limit, index, devPrefix ? () => `${device.id}: ${text()}` : text);
    this.findings.addFailure(cls, device.id, device.index, index, rule, detail, text);
  }

  private map(op: MapOp, index: number): void {
    const device = this.devices.get(op.device)!;
    const counters = device.counters;
    if (device.refusedAtProbe) {
      this.failedIds.add(op.id);
      this.counters.failedMaps++;
      counters.errors++;
      this.findings.addFailure('F14', device.id, device.index, index, 'virtio-access-platform', 'probe', null);
      return;
    }
    const segments = op.segments;
    const mapping = this.acquireMapping(device, op.dir);
    let path: MapPath = 'direct';
    let rule = '';
    let shared = false;
    for (let s = 0; s < segments.length; s++) {
      const segment = segments[s]!;
      counters.maps++;
      counters.bytes += segment.size;
      if (device.gpadl) {
        // netvsc on a non-confidential channel: the payload is copied into the decrypted GPADL send/receive buffer (V9).
        path = 'gpadl';
        rule = 'netvsc-gpadl';
        shared = true;
        counters.gpadlBuffers++;
        if (segment.data === 'public') this.counters.publicBytesShared += segment.size;
        else if (op.dir !== 'from-device') {
          this.setFacts('map-direct', 'vmbus-gpadl', op.dir, segment.data, rule, 'gpadl', false);
          this.expose(device, index, segment.size);
        }
        this.pushSegment(mapping, segment.phys, segment.size, -1, segment.data);
        continue;
      }
      const decision = this.decide(device, segment.phys, segment.size, op.dir, op.attrs);
      rule = decision.rule;
      if (decision.path === 'error') {
        const fc = decision.failure;
        const log = decision.log;
        const limit = fc === 'F1' ? 'ratelimited' : log ? 'once' : 'none';
        this.failure(device, index, fc, decision.rule, 'dma-direct', `dma_direct_map_phys:${fc}`, limit, log ? () => log : null);
        return this.undo(mapping, op.id);
      }
      if (decision.path === 'swiotlb') {
        path = 'swiotlb';
        const target = decision.pool === 'restricted' ? device.restricted : decision.pool === 'private-default' ? this.privateMem : this.mem;
        invariant(target !== null || !device.ctx.env.swiotlb.defaultPoolSlots || decision.pool !== 'default', 'swiotlb decision without a pool');
        this.mappingDevice = device;
        const tlb = target ? mapSingle(target, device.swiotlb, op.cpu, segment.phys, segment.size, 0) : -1;
        if (tlb < 0) {
          const reason = target?.lastFailure ?? 'no-pool';
          const used = target?.used ?? 0;
          const total = target?.nslabs ?? 0;
          const size = segment.size;
          const noWarn = op.attrs.includes('NO_WARN');
          this.failure(device, index, failureForSlots[reason], decision.rule, reason, 'swiotlb_tbl_map_single', noWarn ? 'none' : 'ratelimited', () => `swiotlb buffer is full (sz: ${size} bytes), total ${total} (slots), used ${used} (slots)`);
          return this.undo(mapping, op.id);
        }
        if (this.env.ccAttributes.memEncrypt && decision.memoryState === 'shared') this.log.log('swiotlb_tbl_map_single:mem-encrypt', 'once', index, 'Memory encryption is active and system is using DMA bounce buffers');
        this.counters.bouncedBytesToDevice += segment.size; // the map-time copy is unconditional (§3.5)
        this.counters.copyNs += segment.size / costModel.memcpyBytesPerNs;
        shared = decision.memoryState === 'shared';
        if (shared) {
          if (segment.data === 'public') this.counters.publicBytesShared += segment.size;
          else {
            const transient = target!.lastPool?.transient === true;
            const memory = decision.pool === 'restricted' ? 'restricted-pool' : transient ? 'transient-pool' : 'swiotlb';
            const detail = transient ? transientDetail[decision.reason] : mapCopyDetail[decision.pool][decision.reason];
            this.setFacts('map-copy', memory, op.dir, op.dir === 'from-device' ? 'stale' : segment.data, decision.rule, detail, decision.forcedOnlyByCmdline);
            this.expose(device, index, segment.size);
          }
        }
        // swiotlb_map(): the dma_capable() re-check comes after the copy (§14.2 item 1): F4 exposes, then fails.
        if (tlb + segment.size - 1 > device.capableUpTo[decision.pool]) {
          const completion = this.profile.completeSwiotlbMap(device.ctx, decision, toPhysAddr(tlb), segment.size);
          if (!completion.ok) {
            this.releaseSlots(target!, device, tlb);
            this.failure(device, index, 'F4', decision.rule, 'capability re-check', 'swiotlb_map:F4', 'once', () => completion.log);
            return this.undo(mapping, op.id);
          }
          device.capableUpTo[decision.pool] = tlb + segment.size - 1;
        }
        counters.bounces++;
        if (decision.reason !== 'not-capable') {
          // Bounced because the CoCo guest forces it (A4/B2 forced, B5 CC rule), not for an addressing limit.
          counters.forcedBounces++;
          if (device.firstBounceOp < 0) device.firstBounceOp = index;
        }
        this.pushSegment(mapping, segment.phys, segment.size, tlb, segment.data);
        continue;
      }
      counters.directMaps++;
      if (decision.path === 'direct') {
        path = 'direct';
        if (decision.failure === 'F8') this.findings.addFailure('F8', device.id, device.index, index, decision.rule, 'noforce', null);
        if (decision.memoryState === 'shared' && this.memEncrypt && !decision.isMmio) {
          // DMA_ATTR_CC_SHARED (rows A3/B3): the caller's page is already shared memory (V8 when it holds confidential data).
          shared = true;
          if (segment.data === 'public') this.counters.publicBytesShared += segment.size;
          else {
            this.setFacts('map-direct', 'cc-shared-buffer', op.dir, segment.data, decision.rule, 'cc-shared', false);
            this.expose(device, index, segment.size);
          }
        }
      } else path = 'bypass';
      this.pushSegment(mapping, segment.phys, segment.size, -1, segment.data);
    }
    mapping.path = path;
    mapping.rule = rule;
    mapping.shared = shared;
    device.live++;
    this.mappings.set(op.id, mapping);
  }

  private acquireMapping(device: DeviceState, dir: DmaDirection): LiveMapping {
    const mapping = this.freeMappings.pop();
    if (!mapping) return { device, dir, path: 'direct', rule: '', shared: false, phys: [], sizes: [], tlbs: [], data: [], count: 0, totalBytes: 0 };
    mapping.device = device;
    mapping.dir = dir;
    mapping.path = 'direct';
    mapping.rule = '';
    mapping.shared = false;
    mapping.count = 0;
    mapping.totalBytes = 0;
    return mapping;
  }

  private pushSegment(mapping: LiveMapping, phys: number, size: number, tlb: number, data: SpecDataClass): void {
    const i = mapping.count++;
    mapping.phys[i] = phys;
    mapping.sizes[i] = size;
    mapping.tlbs[i] = tlb;
    mapping.data[i] = data;
    mapping.totalBytes += size;
  }

  /** Releases the segments of a map_sg that failed part-way, as dma_direct_map_sg() unmaps what it mapped. */
  private undo(mapping: LiveMapping, id: string | number): void {
    this.failedIds.add(id);
    this.counters.failedMaps++;
    mapping.device.counters.errors++;
    for (let i = 0; i < mapping.count; i++) {
      const tlb = mapping.tlbs[i]!;
      if (tlb >= 0) this.releaseSlots(this.memOf(mapping.device, tlb), mapping.device, tlb);
    }
    this.freeMappings.push(mapping);
  }

  /** Which io_tlb_mem holds a bounce address (the device's restricted pool, the private pool or the default one). */
  private memOf(device: DeviceState, tlb: number): TlbMem {
    if (!device.restricted && !this.privateMem) return this.mem!;
    if (device.restricted && findPool(device.restricted, tlb)) return device.restricted;
    if (this.privateMem && findPool(this.privateMem, tlb)) return this.privateMem;
    return this.mem!;
  }

  /** swiotlb_tbl_unmap_single(): release the slots, or delete a transient pool (its memory goes back to the atomic pool). */
  private releaseSlots(mem: TlbMem, device: DeviceState, tlb: number): void {
    if (mem.transientPools.length > 0) {
      const pool = findPool(mem, tlb);
      if (pool?.transient) return deleteTransientPool(mem, pool);
    }
    unmapSingle(mem, device.swiotlb, tlb);
  }

  private deviceWrite(id: string | number, bytes: number, data: SpecDataClass, index: number): void {
    const mapping = this.mappings.get(id);
    if (!mapping) {
      if (this.failedIds.has(id)) this.counters.skipped++;
      return; // the mapping failed (skipped, docs/engine-contract.md §2.1) or is a coherent region
    }
    if (!mapping.shared || mapping.path === 'direct') return;
    const written = Math.min(bytes, mapping.totalBytes);
    if (data === 'public') {
      this.counters.publicBytesShared += written;
      return;
    }
    if (mapping.path === 'gpadl') {
      this.setFacts('map-direct', 'vmbus-gpadl', mapping.dir, data, mapping.rule, 'gpadl', false);
      return this.expose(mapping.device, index, written);
    }
    // A trusted backend (paravisor VSP, accepted device) writing confidential data into a shared bounce buffer (V1).
    if (mapping.device.resolved.trust === 'untrusted') return;
    this.setFacts('device-write', 'swiotlb', mapping.dir, data, mapping.rule, 'device write', false);
    this.expose(mapping.device, index, written);
  }

  private cpuWrite(id: string | number, bytes: number, data: SpecDataClass, index: number): void {
    const region = this.coherent.get(id);
    if (!region || !region.shared) return;
    const written = Math.min(bytes, region.size);
    if (data === 'public') {
      this.counters.publicBytesShared += written;
      return;
    }
    this.setFacts('cpu-write', region.memory, null, data, region.decision.rule, region.memory, false);
    this.expose(region.device, index, written);
  }

  private sync(id: string | number, target: 'device' | 'cpu', offset: number, length: number | null, index: number): void {
    const mapping = this.mappings.get(id);
    if (!mapping || mapping.path !== 'swiotlb') return;
    const total = mapping.totalBytes;
    const synced = Math.max(0, Math.min(length ?? total - offset, total - offset));
    if (target === 'device' && mapping.dir !== 'from-device') {
      this.counters.bouncedBytesToDevice += synced;
      this.counters.copyNs += synced / costModel.memcpyBytesPerNs;
      // V7: the rest of the bounce buffer keeps what the map-time copy put there.
      const rest = total - synced;
      const data = mapping.data[0]!;
      if (rest > 0 && mapping.shared && data !== 'public') {
        this.setFacts('sync-subrange', 'swiotlb', mapping.dir, data, mapping.rule, 'sub-range', false);
        this.expose(mapping.device, index, rest);
      }
    }
    if (target === 'cpu' && mapping.dir !== 'to-device') {
      this.counters.bouncedBytesFromDevice += synced;
      this.counters.copyNs += synced / costModel.memcpyBytesPerNs;
    }
  }

  private unmap(id: string | number, index: number): void {
    const mapping = this.mappings.get(id);
    if (!mapping) {
      if (this.failedIds.delete(id)) this.counters.skipped++;
      return;
    }
    this.mappings.delete(id);
    const device = mapping.device;
    device.live--;
    if (mapping.path === 'swiotlb') this.unmapBounced(mapping, index);
    this.freeMappings.push(mapping);
  }

  private unmapBounced(mapping: LiveMapping, index: number): void {
    const device = mapping.device;
    for (let i = 0; i < mapping.count; i++) {
      const tlb = mapping.tlbs[i]!;
      if (tlb < 0) continue;
      const size = mapping.sizes[i]!;
      if (mapping.dir !== 'to-device') {
        this.counters.bouncedBytesFromDevice += size;
        this.counters.copyNs += size / costModel.memcpyBytesPerNs;
      }
      this.releaseSlots(this.memOf(device, tlb), device, tlb);
      // Slots are not scrubbed on release (V6): what was copied in stays readable by the host.
      const data = mapping.data[i]!;
      if (mapping.shared && data !== 'public') {
        this.setFacts('unmap-residue', 'swiotlb', mapping.dir, mapping.dir === 'from-device' ? 'stale' : data, mapping.rule, 'release', false);
        this.expose(device, index, size);
      }
    }
  }

  // ---- coherent allocations, atomic pools, conversions ------------------------------------------

  /** set_memory_decrypted/encrypted over `pages` with injected failures (spec faults, F9). Returns false on failure. */
  private convert(kind: 'decrypt' | 'encrypt', pages: number): boolean {
    const rate = kind === 'decrypt' ? this.spec.faults.decryptFailRate : this.spec.faults.encryptFailRate;
    if (kind === 'decrypt') {
      this.counters.decryptCalls++;
      this.counters.decryptPages += pages;
    } else {
      this.counters.encryptCalls++;
      this.counters.encryptPages += pages;
    }
    this.counters.conversionNs += pages * costModel.conversionPerPageNs;
    if (rate > 0 && this.faults.nextFloat() < rate) {
      this.counters.conversionFailures++;
      return false;
    }
    return true;
  }

  private allocCoherent(op: Extract<LoweredOp, { kind: 'alloc_coherent' }>, index: number): void {
    const device = this.devices.get(op.device)!;
    if (device.refusedAtProbe) {
      this.counters.failedCoherentAllocs++;
      this.findings.addFailure('F14', device.id, device.index, index, 'virtio-access-platform', 'probe', null);
      return;
    }
    const decision = this.profile.decideCoherentAlloc(device.ctx, { sizeBytes: op.size, gfp: op.gfp, attrs: [] });
    if (decision.path === 'error' || decision.failure) {
      this.counters.failedCoherentAllocs++;
      const log = decision.log;
      this.failure(device, index, decision.failure ?? 'F13', decision.rule, 'dma_direct_alloc', `dma_direct_alloc:${decision.failure ?? 'F13'}`, log ? 'once' : 'none', log ? () => log : null);
      return;
    }
    const pages = Math.ceil(decision.allocBytes / 4096);
    let addr = 0;
    let pool: AtomicPool | null = null;
    let memory: CoherentRegion['memory'] = 'coherent-pages';
    if (decision.path === 'atomic-pool') {
      // dma_alloc_from_pool() (docs/kernel-dma.md §6.3): dma_guess_pool() order; L-B skips pools whose cc_shared differs.
      memory = 'atomic-pool';
      let found = false;
      for (const zone of decision.atomicPools) {
        const candidate = this.atomicPools[zone];
        if (!candidate) continue;
        if (this.profile.tracksSharedState && this.env.ccAttributes.memEncrypt !== decision.requestShared) continue;
        found = true;
        const at = poolAlloc(candidate, decision.allocBytes);
        if (at < 0) continue;
        addr = at;
        pool = candidate;
        if (poolAvail(candidate) < this.atomicPoolBytes) this.atomicGrowthScheduled = true; // schedule_work(&atomic_pool_work)
        break;
      }
      if (!pool) {
        for (const zone of decision.atomicPools) if (this.atomicPools[zone]) this.atomicPools[zone]!.exhaustions++;
        this.counters.failedCoherentAllocs++;
        const split = this.resolved.kernel.hasPoolExhaustedMessage && found;
        const text = split ? `DMA pool exhausted for ${device.id}` : `Failed to get suitable pool for ${device.id}`;
        this.failure(device, index, 'F7', decision.rule, found ? 'pools exhausted' : 'no suitable pool', split ? 'dma_alloc_from_pool:exhausted' : 'dma_alloc_from_pool:unsuitable', 'every', () => text, false);
        return;
      }
    } else if (decision.path === 'restricted-pool') {
      memory = 'restricted-pool';
      const at = device.restricted ? swiotlbAlloc(device.restricted, device.swiotlb, decision.allocBytes) : -1;
      if (at < 0) {
        this.counters.failedCoherentAllocs++;
        this.findings.addFailure('F1', device.id, device.index, index, decision.rule, 'restricted pool full', null);
        return;
      }
      addr = at;
      // L-A converts the (already decrypted) restricted-pool pages again (§14.2 item 9).
      if (decision.decryptPages && !this.convert('decrypt', pages)) return this.decryptFailed(device, decision, index, pages, () => swiotlbFree(device.restricted!, device.swiotlb, at));
    } else if (decision.decryptPages) {
      // dma_direct_alloc() row C9: set_memory_decrypted(); failure ⇒ pages leaked (v6.9+, b9fa16949d18) and NULL.
      if (!this.convert('decrypt', pages)) return this.decryptFailed(device, decision, index, pages, null);
    }
    const shared = decision.memoryState === 'shared';
    if (shared) this.counters.coherentSharedBytes += decision.allocBytes;
    device.live++;
    this.coherent.set(op.id, { device, size: op.size, shared, memory, decision, addr, pool });
  }

  private decryptFailed(device: DeviceState, decision: CoherentAllocDecision, index: number, pages: number, free: (() => void) | null): void {
    this.counters.failedCoherentAllocs++;
    if (decision.leakOnConversionFailure) this.counters.leakedPages += pages;
    else free?.();
    this.findings.addFailure('F9', device.id, device.index, index, decision.rule, 'decrypt', null);
  }

  private freeCoherent(id: string | number, index: number): void {
    const region = this.coherent.get(id);
    if (!region) return;
    this.coherent.delete(id);
    const device = region.device;
    device.live--;
    const free = this.profile.decideCoherentFree(device.ctx, region.decision);
    if (region.pool) {
      poolFree(region.pool, region.addr); // back to the gen_pool, still shared and unscrubbed (V4)
      return;
    }
    const pages = Math.ceil(region.decision.allocBytes / 4096);
    if (free.encryptPages && !this.convert('encrypt', pages)) {
      // dma_set_encrypted(): "leaking DMA memory that can't be re-encrypted" (pr_warn_ratelimited); the pages are never freed.
      this.counters.leakedPages += pages;
      this.failure(device, index, 'F9', free.rule, 'encrypt', 'dma_set_encrypted', 'ratelimited', () => "leaking DMA memory that can't be re-encrypted", false);
      return;
    }
    if (region.memory === 'restricted-pool' && device.restricted) swiotlbFree(device.restricted, device.swiotlb, region.addr);
  }

  /** Memory for dynamic SWIOTLB pools (docs/kernel-dma.md §5.8): transient pools from the atomic pool in CoCo guests, grown pools from the buddy allocator + decryption. */
  private swiotlbBacking(bytes: number, physLimit: number, purpose: 'transient' | 'grow'): number | null {
    if (purpose === 'transient' && this.memEncrypt) {
      if (!this.env.config.dmaCoherentPool) return null;
      for (const zone of ['kernel', 'dma32', 'dma'] as const) {
        const pool = this.atomicPools[zone];
        if (!pool) continue;
        const at = poolAlloc(pool, bytes);
        if (at < 0) continue;
        if (at + bytes - 1 > physLimit) {
          poolFree(pool, at);
          continue;
        }
        if (poolAvail(pool) < this.atomicPoolBytes) this.atomicGrowthScheduled = true;
        return at;
      }
      // dma_alloc_from_pool() with GFP_NOWAIT (which includes __GFP_NOWARN): releases before 56c430c7f06d
      // WARN "Failed to get suitable pool" anyway; later ones stay silent (docs/kernel-dma.md §14.2 item 10).
      if (!this.resolved.kernel.hasPoolExhaustedMessage && this.mappingDevice) {
        const id = this.mappingDevice.id;
        this.log.log('dma_alloc_from_pool:unsuitable', 'every', this.operationsDone, () => `Failed to get suitable pool for ${id}`);
      }
      return null;
    }
    const zone: AtomicPoolZone = physLimit < 4 * GiB ? 'dma32' : 'kernel';
    const start = this.carveZone(zone, bytes) ?? (zone === 'kernel' ? this.carveZone('dma32', bytes) : null);
    if (start === null) return null;
    if (this.memEncrypt && !this.convert('decrypt', Math.ceil(bytes / 4096))) {
      this.counters.leakedPages += Math.ceil(bytes / 4096);
      this.findings.addFailure('F9', this.deviceList[0]!.id, 0, this.operationsDone, 'swiotlb-dyn-alloc', 'decrypt', null);
      return null;
    }
    return start;
  }

  private releaseTransientBacking(start: number): void {
    for (const zone of ['kernel', 'dma32', 'dma'] as const) if (this.atomicPools[zone] && poolFree(this.atomicPools[zone]!, start)) return;
  }

  /** Deferred kernel work: the SWIOTLB grower, atomic_pool_work_fn (double each pool below the target, chunks ≤ 4 MiB, decrypted; never shrinking). */
  private runDeferred(index: number): void {
    if (this.mem?.growRequested) {
      const grown = growPool(this.mem);
      if (grown) this.log.log('swiotlb_dyn_alloc', 'every', index, `software IO TLB: pool grown by ${(grown.nslabs * 2048) / MiB} MiB`);
    }
    if (!this.atomicGrowthScheduled) return;
    this.atomicGrowthScheduled = false;
    for (const zone of ['dma', 'dma32', 'kernel'] as const) {
      const pool = this.atomicPools[zone];
      if (!pool || poolAvail(pool) >= this.atomicPoolBytes) continue;
      const bytes = chunkBytesFor(pool.sizeBytes);
      const start = this.carveZone(zone, bytes);
      if (start === null) continue;
      if (this.memEncrypt && !this.convert('decrypt', bytes / 4096)) {
        this.counters.leakedPages += bytes / 4096; // the chunk is leaked, the pool does not grow
        this.findings.addFailure('F9', this.deviceList[0]!.id, 0, index, 'atomic_pool_expand', 'decrypt', null);
        continue;
      }
      addChunk(pool, start, bytes, false);
    }
  }

  /**
   * device_cc_accept() / device_cc_reject() (docs/kernel-dma.md §9.1, §9.4): only with the device-cc-accepted
   * overlay; refused with -EBUSY while the device has live mappings or coherent buffers.
   */
  private acceptOrReject(kind: 'accept_device' | 'reject_device', deviceId: string, index: number): void {
    const device = this.devices.get(deviceId)!;
    const fn = kind === 'accept_device' ? 'device_cc_accept' : 'device_cc_reject';
    if (!this.resolved.overlays.some((o) => o.name === 'device-cc-accepted')) {
      this.log.log(`${fn}:unsupported`, 'once', index, `note: ${fn}(${deviceId}) has no effect: mainline has no device_cc_accept() (add the device-cc-accepted overlay)`);
      return;
    }
    if (device.live > 0) {
      device.counters.acceptBusy++;
      this.log.log(`${fn}:ebusy`, 'ratelimited', index, `note: ${fn}(${deviceId}) = -EBUSY: ${device.live} live DMA mapping(s)/buffer(s)`);
      return;
    }
    device.ctx = createDecisionContext(this.profile, this.env, createDmaDevice(device.resolved, kind === 'accept_device'));
    device.maxMapping = -1;
    device.decisionCache.clear();
    device.capableUpTo.default = device.capableUpTo.restricted = device.capableUpTo['private-default'] = -1;
  }

  private sample(): void {
    this.series.t.push(this.operationsDone);
    this.series.values['swiotlb.used']!.push(this.mem?.used ?? 0);
    this.series.values['swiotlb.bouncedBytes']!.push(this.counters.bouncedBytesToDevice + this.counters.bouncedBytesFromDevice);
    this.series.values['failedMaps']!.push(this.counters.failedMaps);
  }

  finish(): EngineReport {
    // F15 (performance cliffs, info, docs/kernel-dma.md §10.2): network devices whose fragments are all bounce-copied
    // because the CoCo policy forces it (the copy runs in softirq and the first bounce clears page_pool's
    // dma_skip_sync — S1, S15; an addressing-limited NIC on an SME host, S14, is not flagged), and
    // requests the block layer split at dma_max_mapping_size() (S2, S16).
    for (const device of this.deviceList) {
      if (device.firstBounceOp >= 0 && this.netDevices.has(device.id)) this.findings.addFailure('F15', device.id, device.index, device.firstBounceOp, 'bounce-copy', 'bounce', null, device.counters.forcedBounces);
      if (device.counters.splitRequests > 0) this.findings.addFailure('F15', device.id, device.index, device.firstSplitOp, 'max-mapping-split', 'split', null, device.counters.splitRequests);
    }
    const violations = this.findings.violationList();
    const failures = this.findings.failureList();
    const metrics: Record<string, MetricValue> = {
      'swiotlb.nslabs': this.sizing.nslabs,
      'swiotlb.nareas': this.sizing.nareas,
      'swiotlb.areaSlots': this.sizing.areaSlots,
      'swiotlb.used': this.mem?.used ?? 0,
      'swiotlb.hiwater': this.mem?.hiwater ?? 0,
      'swiotlb.transientSlots': this.mem?.transientSlots ?? 0,
      'swiotlb.poolsGrown': this.mem?.stats.poolsGrown ?? 0,
      'swiotlb.transientPoolsCreated': this.mem?.stats.transientPoolsCreated ?? 0,
      'swiotlb.bouncedBytesToDevice': this.counters.bouncedBytesToDevice,
      'swiotlb.bouncedBytesFromDevice': this.counters.bouncedBytesFromDevice,
      'swiotlb.slotsScannedMax': this.mem?.stats.slotsScannedMax ?? 0,
      'swiotlb.slotsScannedPerMap': this.mem && this.mem.stats.maps > 0 ? round(this.mem.stats.slotsScanned / this.mem.stats.maps) : 0,
      failedMaps: this.counters.failedMaps,
      failedCoherentAllocs: this.counters.failedCoherentAllocs,
      skippedOps: this.counters.skipped,
      'shared.publicBytes': this.counters.publicBytesShared,
      'shared.hostSideBytes': this.counters.hostSideSharedBytes,
      'coherent.sharedBytes': this.counters.coherentSharedBytes,
      'conversions.decryptCalls': this.counters.decryptCalls,
      'conversions.decryptPages': this.counters.decryptPages,
      'conversions.encryptCalls': this.counters.encryptCalls,
      'conversions.encryptPages': this.counters.encryptPages,
      'conversions.leakedPages': this.counters.leakedPages,
      'conversions.failures': this.counters.conversionFailures,
      'conversions.bootDecryptPages': this.resolved.platform.isCocoGuest ? Math.ceil((this.sizing.nslabs * 2048) / 4096) : 0,
      'cost.bounceCopyNs': Math.round(this.counters.copyNs),
      'cost.slotSearchNs': (this.mem?.stats.slotsScanned ?? 0) * costModel.slotScanNs,
      'cost.conversionNs': this.counters.conversionNs,
      'kernelLog.dropped': this.log.dropped,
    };
    for (const reason of ['full', 'fragmented', 'too-large', 'alignment', 'no-pool'] as const) metrics[`swiotlb.failures.${reason}`] = this.mem?.stats.failures[reason] ?? 0;
    for (const zone of ['kernel', 'dma32', 'dma'] as const) {
      const pool = this.atomicPools[zone];
      if (!pool) continue;
      metrics[`atomicPools.${zone}.initialBytes`] = pool.initialBytes;
      metrics[`atomicPools.${zone}.sizeBytes`] = pool.sizeBytes;
      metrics[`atomicPools.${zone}.usedBytes`] = pool.usedBytes;
      metrics[`atomicPools.${zone}.usedBytesMax`] = pool.usedBytesMax;
      metrics[`atomicPools.${zone}.growthEvents`] = pool.growthEvents;
      metrics[`atomicPools.${zone}.exhaustions`] = pool.exhaustions;
    }
    for (const device of [...this.deviceList].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const id = device.id;
      const counters = device.counters;
      const max = this.profile.maxMappingSize(device.ctx).bytes;
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
    for (const v of violations) metrics[`violations.${v.class}.bytesExposed`] = ((metrics[`violations.${v.class}.bytesExposed`] as number | undefined) ?? 0) + v.bytesExposed;
    const hasSecrets = violations.some((v) => v.severity === 'critical');
    const failing = failures.some((f) => f.class !== 'F15');
    const body = {
      engineVersion: ENGINE_VERSION,
      specHash: sha256Hex(canonicalJson(this.spec)),
      seed: this.seed,
      platform: this.spec.vm.platform,
      profile: `${this.spec.kernel.profile} (${this.resolved.kernel.profileId})`,
      overlays: this.resolved.overlays.map((o) => (o.variant ? { name: o.name, variant: o.variant } : { name: o.name })),
      summary: { verdict: hasSecrets ? 'exposes-secrets' : failing ? 'failing' : 'clean', operations: this.operationsDone, violations: violations.length, failures: failures.length } as const,
      violations,
      failures,
      metrics,
      series: { t: this.series.t, values: this.series.values },
      kernelLog: [...this.bootLog.map((text) => ({ op: -1, text })), ...this.log.lines, ...overlayNotes(this.resolved.overlays).map((text) => ({ op: -1, text: `note: ${text}` }))],
      costModel: { ...costModel, note: 'modelled, not measured' },
    };
    return { ...body, resultHash: sha256Hex(canonicalJson(body)) };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function lowerExplicit(op: NormalizedScenario['workload']['explicit'][number]): LoweredOp {
  switch (op.op) {
    case 'map':
      return { kind: 'map', id: op.id, device: op.device, sg: false, segments: [{ phys: Number(BigInt(op.buffer.phys)), size: op.buffer.size, data: op.buffer.data }], dir: op.dir, attrs: op.attrs, cpu: op.cpu };
    case 'map_sg':
      return { kind: 'map', id: op.id, device: op.device, sg: true, segments: op.segments.map((s) => ({ phys: Number(BigInt(s.phys)), size: s.size, data: s.data })), dir: op.dir, attrs: op.attrs, cpu: op.cpu };
    case 'unmap':
    case 'unmap_sg':
      return { kind: 'unmap', id: op.id };
    case 'sync_for_device':
    case 'sync_for_cpu':
      return { kind: 'sync', id: op.id, target: op.op === 'sync_for_device' ? 'device' : 'cpu', offset: op.offset, length: op.length ?? null };
    case 'device_write':
      return { kind: 'device_write', id: op.id, offset: op.offset, bytes: op.bytes, data: op.data };
    case 'device_read':
      return { kind: 'device_read', id: op.id, offset: op.offset, bytes: op.bytes };
    case 'cpu_write':
      return { kind: 'cpu_write', id: op.id, offset: op.offset, bytes: op.bytes, data: op.data };
    case 'alloc_coherent':
      return { kind: 'alloc_coherent', id: op.id, device: op.device, size: op.size, gfp: op.gfp };
    case 'free_coherent':
      return { kind: 'free_coherent', id: op.id };
    case 'accept_device':
    case 'reject_device':
      return { kind: op.op, device: op.device };
    case 'run_deferred':
      return { kind: 'run_deferred' };
  }
}
