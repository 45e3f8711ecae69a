import { canonicalJson } from '../canonical-json';
import type { EngineRun } from '../engine-run.types';
import { invariant } from '../invariant';
import { applyOverlays, overlayNotes } from '../overlays/index';
import { createPrng } from '../prng';
import { createDecisionContext, createDmaDevice, createDmaEnvironment, getKernelProfile } from '../profiles/index';
import type { DecisionContext, KernelProfile, StreamingMapDecision } from '../profiles/profile.types';
import type { DataClass, EngineReport, KernelLogLine, MetricValue, ViolationClass } from '../report/report.types';
import { sha256Hex } from '../sha256';
import { toPhysAddr } from '../spec/address';
import { type NormalizedScenario, resolveScenario, type ResolvedScenario } from '../spec/normalize';
import type { DmaDirection, SpecDataClass } from '../spec/names';
import { bootSizing } from '../swiotlb/boot-sizing';
import { createTlbMem, type SlotFailureReason, type TlbMem } from '../swiotlb/tlb-mem';
import { tblMapSingle, tblUnmapSingle } from '../swiotlb/map-single';
import { growPool } from '../swiotlb/dynamic';
import { ENGINE_VERSION } from '../version';
import { FindingLedger } from './findings';
import type { LoweredOp } from './lowered-op';
import { StreamGenerator } from './workload';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const seriesBuckets = 200;
const kernelLogLimit = 200;
/** Modelled cost parameters (engine.md §8): inputs with documented defaults, not measurements. */
const costModel = { memcpyBytesPerNs: 10, slotScanNs: 2, lockNs: 20, cacheFlushPerPageNs: 100 } as const;

interface MappedSegment {
  readonly phys: number;
  readonly size: number;
  /** Bounce address, or -1 when mapped directly. */
  readonly tlb: number;
  readonly data: SpecDataClass;
}

interface LiveMapping {
  readonly device: string;
  readonly dir: DmaDirection;
  readonly decision: StreamingMapDecision;
  readonly segments: readonly MappedSegment[];
  readonly op: number;
}

interface CoherentRegion {
  readonly device: string;
  readonly size: number;
  readonly shared: boolean;
  readonly atomicPool: boolean;
  readonly rule: string;
}

interface DeviceCounters {
  maps: number;
  bounces: number;
  directMaps: number;
  errors: number;
  bytes: number;
}

const failureForSlots: Record<SlotFailureReason, 'F1' | 'F2' | 'F3'> = { 'no-pool': 'F1', full: 'F1', fragmented: 'F1', 'too-large': 'F2', alignment: 'F3' };

/**
 * Where the boot pool and generated buffers sit: the pool in low memory (memblock_alloc_low, below
 * 4 GiB), buffers spread over the rest of RAM — above 4 GiB when there is RAM there, which is what
 * makes 32-bit devices addressing-limited.
 */
function memoryPlan(resolved: ResolvedScenario, poolBytes: number): { poolStart: number; buffers: { start: number; pages: number } } {
  const ramEnd = Number(resolved.platformContext.ramEnd);
  const layout = resolved.spec.vm.layout;
  const ramStart = layout === 'arm-virt' ? GiB : 0;
  const lowTop = Math.min(ramEnd, ramStart + 2 * GiB);
  const poolStart = Math.max(ramStart + 16 * MiB, Math.floor((lowTop - poolBytes) / (2 * MiB)) * 2 * MiB);
  const highStart = ramEnd > 4 * GiB ? 4 * GiB : ramStart + 64 * MiB;
  const highEnd = ramEnd > 4 * GiB ? ramEnd : poolStart;
  return { poolStart, buffers: { start: highStart, pages: Math.max(16, Math.floor((highEnd - highStart) / 4096)) } };
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
  private readonly profile: KernelProfile;
  private readonly contexts = new Map<string, DecisionContext>();
  private readonly mem: TlbMem | null;
  private readonly generator: StreamGenerator | null;
  private readonly findings: FindingLedger;
  private readonly mappings = new Map<string, LiveMapping>();
  private readonly coherent = new Map<string, CoherentRegion>();
  private readonly failedIds = new Set<string>();
  private readonly deviceCounters = new Map<string, DeviceCounters>();
  private readonly kernelLog: KernelLogLine[] = [];
  private readonly logCounts = new Map<string, number>();
  private readonly counters = { bouncedBytesToDevice: 0, bouncedBytesFromDevice: 0, failedMaps: 0, failedCoherentAllocs: 0, publicBytesShared: 0, coherentSharedBytes: 0, decryptPages: 0, encryptPages: 0, copyNs: 0 };
  private readonly series: { t: number[]; values: Record<string, number[]> } = { t: [], values: { 'swiotlb.used': [], 'swiotlb.bouncedBytes': [], failedMaps: [] } };
  private readonly sampleEvery: number;
  private readonly bootLog: string[];
  private readonly sizing: { nslabs: number; nareas: number; areaSlots: number };

  constructor(
    private readonly spec: NormalizedScenario,
    private readonly seed: number,
  ) {
    this.resolved = resolveScenario(spec);
    const env = createDmaEnvironment(this.resolved);
    this.profile = applyOverlays(getKernelProfile(this.resolved.kernel.profileId), this.resolved.overlays);
    for (const device of this.resolved.devices) {
      this.contexts.set(device.id, createDecisionContext(this.profile, env, createDmaDevice(device)));
      this.deviceCounters.set(device.id, { maps: 0, bounces: 0, directMaps: 0, errors: 0, bytes: 0 });
    }
    const policy = this.resolved.platform.swiotlbBoot(this.resolved.platformContext);
    const requested = this.resolved.platform.archRequestedSwiotlbBytes(this.resolved.totalRamBytes);
    const sizing = bootSizing({ cmdline: this.resolved.swiotlbCmdline, archWantsSwiotlb: policy.archWantsSwiotlb, possibleCpus: spec.vm.vcpus, ...(requested === null ? {} : { archRequestedBytes: requested }) });
    invariant(sizing.nslabs === env.swiotlb.defaultPoolSlots, `boot sizing disagrees: ${sizing.nslabs} vs ${env.swiotlb.defaultPoolSlots}`);
    this.sizing = sizing;
    this.bootLog = sizing.log.map((line) => `software IO TLB: ${line}`);
    const plan = memoryPlan(this.resolved, sizing.nslabs * 2048);
    this.mem = sizing.nslabs > 0 ? createTlbMem({ rules: this.resolved.kernel.allocatorRules, defaultPool: { nslabs: sizing.nslabs, nareas: sizing.nareas, start: plan.poolStart } }) : null;
    this.findings = new FindingLedger(`${spec.vm.platform}/${this.resolved.kernel.profileId}`);
    this.operationsTotal = spec.workload.explicit.length > 0 ? spec.workload.explicit.length : spec.workload.operations;
    this.sampleEvery = Math.max(1, Math.ceil(this.operationsTotal / seriesBuckets));
    this.generator =
      spec.workload.explicit.length > 0
        ? null
        : new StreamGenerator(spec, createPrng(seed), plan.buffers, (deviceId) => this.maxMappingBytes(deviceId), spec.vm.vcpus);
  }

  step(maxOperations: number): boolean {
    const end = Math.min(this.operationsTotal, this.operationsDone + maxOperations);
    while (this.operationsDone < end) {
      const op = this.generator ? (this.generator.isEmpty ? null : this.generator.next()) : lowerExplicit(this.spec.workload.explicit[this.operationsDone]!);
      if (op === null) {
        this.operationsDone = this.operationsTotal;
        break;
      }
      this.execute(op, this.operationsDone);
      this.operationsDone++;
      if (this.operationsDone % this.sampleEvery === 0) this.sample();
      if (this.generator && this.operationsDone % this.spec.kernel.config.deferredWorkEveryOps === 0) this.runDeferred();
    }
    return this.operationsDone >= this.operationsTotal;
  }

  private maxMappingBytes(deviceId: string): number {
    const size = this.profile.maxMappingSize(this.contexts.get(deviceId)!);
    return size.bytes === 'unlimited' ? Number.MAX_SAFE_INTEGER : size.bytes;
  }

  private log(op: number, text: string): void {
    // printk_ratelimited / WARN_ONCE: keep the first few of each message, bounded overall.
    const key = text.replace(/\d+/g, '#');
    const seen = (this.logCounts.get(key) ?? 0) + 1;
    this.logCounts.set(key, seen);
    if (seen <= 10 && this.kernelLog.length < kernelLogLimit) this.kernelLog.push({ op, text });
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
        return this.sync(op.id, op.target, index);
      case 'alloc_coherent':
        return this.allocCoherent(op, index);
      case 'free_coherent':
        this.coherent.delete(op.id);
        return;
      case 'run_deferred':
        return this.runDeferred();
      case 'device_read':
      case 'accept_device':
      case 'reject_device':
        // Reading moves no data into host-visible memory; acceptance changes are decided by the overlay
        // when the device is accepted at boot (engine.md §2.2: tdisp-accepted means accepted from the start).
        return;
    }
  }

  private map(op: Extract<LoweredOp, { kind: 'map' }>, index: number): void {
    const ctx = this.contexts.get(op.device)!;
    const counters = this.deviceCounters.get(op.device)!;
    const segments: MappedSegment[] = [];
    let decision: StreamingMapDecision | undefined;
    for (const segment of op.segments) {
      decision = this.profile.decideStreamingMap(ctx, { phys: toPhysAddr(segment.phys), sizeBytes: segment.size, dir: op.dir, attrs: op.attrs });
      counters.maps++;
      counters.bytes += segment.size;
      if (decision.path === 'error') {
        this.fail(op, index, decision.failure, decision.rule, decision.log, `dma-direct refused the mapping (${decision.rule})`);
        return this.undo(segments, op.device);
      }
      if (decision.path === 'swiotlb') {
        invariant(this.mem !== null || !ctx.env.swiotlb.defaultPoolSlots, 'swiotlb decision without a pool');
        const tlb = this.mem ? tblMapSingle(this.mem, { minAlignMask: Number(ctx.dev.minAlignMask), segBoundaryMask: this.resolved.devices.find((d) => d.id === op.device)!.segBoundaryMask }, op.cpu, segment.phys, segment.size, 0) : -1;
        if (tlb < 0) {
          const reason = this.mem?.lastFailure ?? 'no-pool';
          const cls = failureForSlots[reason];
          const log = `swiotlb buffer is full (sz: ${segment.size} bytes), total ${this.mem?.nslabs ?? 0} (slots), used ${this.mem?.used ?? 0} (slots)`;
          this.fail(op, index, cls, decision.rule, op.attrs.includes('NO_WARN') ? null : log, `swiotlb_tbl_map_single() found no ${reason === 'too-large' ? 'segment large enough' : 'free slots'} (${reason})`);
          return this.undo(segments, op.device);
        }
        counters.bounces++;
        this.counters.bouncedBytesToDevice += segment.size; // the map-time copy is unconditional (§3.5)
        this.counters.copyNs += segment.size / costModel.memcpyBytesPerNs;
        segments.push({ phys: segment.phys, size: segment.size, tlb, data: segment.data });
        if (decision.memoryState === 'shared') this.exposeMapCopy(op, decision, segment, index);
      } else {
        counters.directMaps++;
        segments.push({ phys: segment.phys, size: segment.size, tlb: -1, data: segment.data });
        if (decision.path === 'direct' && decision.failure === 'F8') {
          this.findings.addFailure({ class: 'F8', deviceId: op.device, op: index, rule: decision.rule, kernelLogLine: null, explanation: 'private memory was handed to a device that can only read shared memory: it sees ciphertext (I/O corruption), because swiotlb=noforce left nothing to bounce through' });
        }
      }
    }
    invariant(decision !== undefined, 'map without segments');
    this.mappings.set(op.id, { device: op.device, dir: op.dir, decision, segments, op: index });
  }

  /** Releases the segments of a map_sg that failed part-way, as dma_direct_map_sg() unmaps what it mapped. */
  private undo(segments: readonly MappedSegment[], deviceId: string): void {
    this.counters.failedMaps++;
    this.deviceCounters.get(deviceId)!.errors++;
    for (const segment of segments) if (segment.tlb >= 0 && this.mem) tblUnmapSingle(this.mem, { minAlignMask: 0, segBoundaryMask: 0xffffffffn }, segment.tlb);
  }

  private fail(op: { id: string; device: string }, index: number, failure: string, rule: string, log: string | null, explanation: string): void {
    this.failedIds.add(op.id);
    if (log) this.log(index, `${op.device}: ${log}`);
    this.findings.addFailure({ class: failure as 'F1', deviceId: op.device, op: index, rule, kernelLogLine: log, explanation });
  }

  /** The map-time copy into a shared bounce buffer: classify who is exposed and why (engine.md §5). */
  private exposeMapCopy(op: Extract<LoweredOp, { kind: 'map' }>, decision: Extract<StreamingMapDecision, { path: 'swiotlb' }>, segment: { size: number; data: SpecDataClass }, index: number): void {
    if (segment.data === 'public') {
      this.counters.publicBytesShared += segment.size;
      return;
    }
    const ctx = this.contexts.get(op.device)!;
    const trustedBackend = ctx.dev.trust !== 'untrusted';
    const staleContents = op.dir === 'from-device';
    const dataClass: DataClass = staleContents ? 'stale' : segment.data;
    const path = `dma_direct_map_phys → swiotlb_map → swiotlb_tbl_map_single (${decision.pool} pool, ${decision.reason})`;
    let violation: ViolationClass;
    let explanation: string;
    if (decision.forcedOnlyByCmdline) {
      violation = 'V5';
      explanation = 'swiotlb=force made dma-direct bounce this buffer through the shared SWIOTLB pool; without it the mapping would have stayed private';
    } else if (trustedBackend) {
      violation = 'V1';
      explanation = `the device's backend is inside the trust boundary (${ctx.dev.trust}), yet swiotlb_tbl_map_single() copied the buffer into the shared (decrypted) default pool, where the host can read it`;
    } else if (staleContents) {
      violation = 'V2';
      explanation = 'swiotlb_tbl_map_single() copies the old contents of a DMA_FROM_DEVICE buffer into the shared pool before the device writes (info-leak fix ddbd89deb7d3): stale data becomes host-visible';
    } else {
      violation = 'V0';
      explanation = 'the payload goes to a device whose backend is the host; swiotlb_tbl_map_single() copies it into shared memory in the clear — disclosure by design';
    }
    this.findings.addViolation({ class: violation, deviceId: op.device, op: index, bytes: segment.size, dataClass: violation === 'V2' ? 'stale' : dataClass, path, rule: decision.rule, explanation });
  }

  private deviceWrite(id: string, bytes: number, data: SpecDataClass, index: number): void {
    const mapping = this.mappings.get(id);
    if (!mapping) return; // the mapping failed (skipped, engine.md §2.1) or is a coherent region
    const ctx = this.contexts.get(mapping.device)!;
    if (mapping.decision.path !== 'swiotlb' || mapping.decision.memoryState !== 'shared') return;
    const written = Math.min(bytes, mapping.segments.reduce((sum, s) => sum + s.size, 0));
    if (data === 'public') {
      this.counters.publicBytesShared += written;
      return;
    }
    // A trusted backend (paravisor VSP, accepted device) writing confidential data into a shared bounce buffer.
    if (ctx.dev.trust !== 'untrusted') {
      this.findings.addViolation({
        class: 'V1', deviceId: mapping.device, op: index, bytes: written, dataClass: data, path: 'device DMA write → shared SWIOTLB bounce buffer', rule: mapping.decision.rule,
        explanation: `the ${ctx.dev.trust} device wrote ${data} data into a bounce buffer in the shared pool; the host can read it before swiotlb_sync_single_for_cpu() copies it back`,
      });
    }
  }

  private cpuWrite(id: string, bytes: number, data: SpecDataClass, index: number): void {
    const region = this.coherent.get(id);
    if (!region || !region.shared) return;
    if (data === 'public') {
      this.counters.publicBytesShared += bytes;
      return;
    }
    const atomic = region.atomicPool;
    this.findings.addViolation({
      class: atomic ? 'V4' : 'V3', deviceId: region.device, op: index, bytes: Math.min(bytes, region.size), dataClass: data, path: atomic ? 'dma_direct_alloc → dma_direct_alloc_from_pool (shared atomic pool)' : 'dma_direct_alloc → set_memory_decrypted', rule: region.rule,
      explanation: atomic
        ? 'the coherent buffer came from the atomic DMA pool, which is permanently shared; what the driver stores there is host-visible'
        : 'dma_direct_alloc() decrypted the coherent buffer (set_memory_decrypted): everything the driver stores there is host-visible',
    });
  }

  private sync(id: string, target: 'device' | 'cpu', index: number): void {
    const mapping = this.mappings.get(id);
    if (!mapping || mapping.decision.path !== 'swiotlb') return;
    const bytes = mapping.segments.reduce((sum, s) => sum + s.size, 0);
    if (target === 'device' && mapping.dir !== 'from-device') this.counters.bouncedBytesToDevice += bytes;
    if (target === 'cpu' && mapping.dir !== 'to-device') this.counters.bouncedBytesFromDevice += bytes;
    void index;
  }

  private unmap(id: string, index: number): void {
    const mapping = this.mappings.get(id);
    this.mappings.delete(id);
    if (!mapping) return;
    if (mapping.decision.path !== 'swiotlb' || !this.mem) return;
    const device = this.resolved.devices.find((d) => d.id === mapping.device)!;
    for (const segment of mapping.segments) {
      if (segment.tlb < 0) continue;
      if (mapping.dir !== 'to-device') {
        this.counters.bouncedBytesFromDevice += segment.size;
        this.counters.copyNs += segment.size / costModel.memcpyBytesPerNs;
      }
      tblUnmapSingle(this.mem, { minAlignMask: Number(device.minAlignMask), segBoundaryMask: device.segBoundaryMask }, segment.tlb);
      // Slots are not scrubbed on release (V6): what was copied in stays readable by the host.
      if (mapping.decision.memoryState === 'shared' && segment.data !== 'public') {
        this.findings.addViolation({
          class: 'V6', deviceId: mapping.device, op: index, bytes: segment.size, dataClass: mapping.dir === 'from-device' ? 'stale' : segment.data, path: 'swiotlb_release_slots (no scrub)', rule: mapping.decision.rule,
          explanation: 'swiotlb_release_slots() returns the slots without clearing them: the bounced data stays in shared memory until the slots are reused',
        });
      }
    }
  }

  private allocCoherent(op: Extract<LoweredOp, { kind: 'alloc_coherent' }>, index: number): void {
    const ctx = this.contexts.get(op.device)!;
    const decision = this.profile.decideCoherentAlloc(ctx, { sizeBytes: op.size, gfp: op.gfp, attrs: [] });
    if (decision.path === 'error' || decision.failure) {
      this.counters.failedCoherentAllocs++;
      this.findings.addFailure({ class: decision.failure ?? 'F13', deviceId: op.device, op: index, rule: decision.rule, kernelLogLine: decision.log ?? null, explanation: decision.note ?? `dma_direct_alloc() failed (${decision.rule})` });
      if (decision.log) this.log(index, `${op.device}: ${decision.log}`);
      return;
    }
    const shared = decision.memoryState === 'shared';
    if (decision.decryptPages) this.counters.decryptPages += Math.ceil(decision.allocBytes / 4096);
    if (shared) this.counters.coherentSharedBytes += decision.allocBytes;
    this.coherent.set(op.id, { device: op.device, size: op.size, shared, atomicPool: decision.path === 'atomic-pool', rule: decision.rule });
  }

  private runDeferred(): void {
    if (this.mem?.growRequested) growPool(this.mem);
  }

  private sample(): void {
    this.series.t.push(this.operationsDone);
    this.series.values['swiotlb.used']!.push(this.mem?.used ?? 0);
    this.series.values['swiotlb.bouncedBytes']!.push(this.counters.bouncedBytesToDevice + this.counters.bouncedBytesFromDevice);
    this.series.values['failedMaps']!.push(this.counters.failedMaps);
  }

  finish(): EngineReport {
    const violations = this.findings.violationList();
    const failures = this.findings.failureList();
    const metrics: Record<string, MetricValue> = {
      'swiotlb.nslabs': this.sizing.nslabs,
      'swiotlb.nareas': this.sizing.nareas,
      'swiotlb.areaSlots': this.sizing.areaSlots,
      'swiotlb.used': this.mem?.used ?? 0,
      'swiotlb.hiwater': this.mem?.hiwater ?? 0,
      'swiotlb.transientSlots': this.mem?.transientSlots ?? 0,
      'swiotlb.bouncedBytesToDevice': this.counters.bouncedBytesToDevice,
      'swiotlb.bouncedBytesFromDevice': this.counters.bouncedBytesFromDevice,
      'swiotlb.slotsScannedMax': this.mem?.stats.slotsScannedMax ?? 0,
      'swiotlb.slotsScannedPerMap': this.mem && this.mem.stats.maps > 0 ? round(this.mem.stats.slotsScanned / this.mem.stats.maps) : 0,
      failedMaps: this.counters.failedMaps,
      failedCoherentAllocs: this.counters.failedCoherentAllocs,
      'shared.publicBytes': this.counters.publicBytesShared,
      'coherent.sharedBytes': this.counters.coherentSharedBytes,
      'conversions.decryptPages': this.counters.decryptPages,
      'conversions.encryptPages': this.counters.encryptPages,
      'conversions.bootDecryptPages': this.resolved.platform.isCocoGuest ? Math.ceil((this.sizing.nslabs * 2048) / 4096) : 0,
      'cost.bounceCopyNs': Math.round(this.counters.copyNs),
      'cost.slotSearchNs': (this.mem?.stats.slotsScanned ?? 0) * costModel.slotScanNs,
    };
    for (const reason of ['full', 'fragmented', 'too-large', 'alignment', 'no-pool'] as const) metrics[`swiotlb.failures.${reason}`] = this.mem?.stats.failures[reason] ?? 0;
    for (const [id, counters] of [...this.deviceCounters].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const max = this.profile.maxMappingSize(this.contexts.get(id)!).bytes;
      metrics[`devices.${id}.maxMappingBytes`] = max === 'unlimited' ? 'unlimited' : max;
      metrics[`devices.${id}.maps`] = counters.maps;
      metrics[`devices.${id}.bounces`] = counters.bounces;
      metrics[`devices.${id}.directMaps`] = counters.directMaps;
      metrics[`devices.${id}.errors`] = counters.errors;
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
      kernelLog: [...this.bootLog.map((text) => ({ op: -1, text })), ...this.kernelLog, ...overlayNotes(this.resolved.overlays).map((text) => ({ op: -1, text: `note: ${text}` }))],
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
