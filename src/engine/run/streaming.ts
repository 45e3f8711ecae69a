import { invariant } from '../invariant';
import type { StreamingMapDecision, SwiotlbPoolKind } from '../profiles/profile.types';
import { toPhysAddr } from '../spec/address';
import type { DmaAttr, DmaDirection, SpecDataClass } from '../spec/names';
import { IO_TLB_SIZE } from '../swiotlb/constants';
import { deleteTransientPool } from '../swiotlb/dynamic';
import { tblMapSingle, tblUnmapSingle } from '../swiotlb/map-single';
import { findPool, type SlotFailureReason, type TlbMem } from '../swiotlb/tlb-mem';
import { expose, failure, setFacts } from './exposure';
import { costModel, type DeviceState, type LiveMapping, type MapOp, type RunState } from './run-state';

/**
 * Streaming DMA (dma_map_phys/dma_map_sg and their unmap/sync): the per-segment decision of
 * dma_direct_map_phys(), bouncing through swiotlb_tbl_map_single(), and what each step exposes.
 */

// Bound once: under esbuild/tsx each cross-module call goes through an export getter, which costs
// measurably per operation on the hot path (the same trick as the allocator benchmark).
const mapSingle = tblMapSingle;
const unmapSingle = tblUnmapSingle;

type Segment = MapOp['segments'][number];
/** NETVSC_SEND_SECTION_SIZE (drivers/net/hyperv/hyperv_net.h): larger packets go out as page buffers. */
const netvscSendSectionBytes = 6144;
type SwiotlbDecision = Extract<StreamingMapDecision, { path: 'swiotlb' }>;

const failureForSlots: Record<SlotFailureReason, 'F1' | 'F2' | 'F3'> = {
  'no-pool': 'F1',
  full: 'F1',
  fragmented: 'F1',
  'too-large': 'F2',
  alignment: 'F3',
};

/** Path details of the map-time copy, precomputed so the hot path builds no strings. */
const mapCopyDetail: Record<SwiotlbPoolKind, Record<'forced' | 'not-capable' | 'cc-rule', string>> = {
  default: {
    forced: 'default pool, forced',
    'not-capable': 'default pool, not-capable',
    'cc-rule': 'default pool, cc-rule',
  },
  restricted: {
    forced: 'restricted pool, forced',
    'not-capable': 'restricted pool, not-capable',
    'cc-rule': 'restricted pool, cc-rule',
  },
  'private-default': {
    forced: 'private-default pool, forced',
    'not-capable': 'private-default pool, not-capable',
    'cc-rule': 'private-default pool, cc-rule',
  },
};
const transientDetail = {
  forced: 'transient pool, forced',
  'not-capable': 'transient pool, not-capable',
  'cc-rule': 'transient pool, cc-rule',
} as const;

/** The block layer split a request at dma_max_mapping_size() (F15). */
export function countSplit(run: RunState, deviceId: string): void {
  const device = run.devices.get(deviceId)!;
  if (device.counters.splitRequests++ === 0) device.firstSplitOp = run.operationsDone;
}

export function maxMappingBytes(run: RunState, deviceId: string): number {
  const device = run.devices.get(deviceId)!;
  if (device.maxMapping < 0) {
    const size = run.profile.maxMappingSize(device.ctx);
    device.maxMapping = size.bytes === 'unlimited' ? Number.MAX_SAFE_INTEGER : size.bytes;
  }
  return device.maxMapping;
}

/**
 * dma_direct_map_phys()'s decision, reusing one that cannot depend on the address or size:
 * attribute-free maps whose decision was a forced bounce or the L-B CC rule (without
 * `swiotlb=force`, whose V5 check compares with the unforced decision, which can depend on both).
 */
function decide(
  run: RunState,
  device: DeviceState,
  phys: number,
  size: number,
  dir: DmaDirection,
  attrs: readonly DmaAttr[],
): StreamingMapDecision {
  const cacheable = attrs.length === 0 && !run.env.swiotlb.cmdlineForceBounce;
  if (cacheable) {
    const cached = device.decisionCache.get(dir);
    if (cached) return cached;
  }
  const decision = run.profile.decideStreamingMap(device.ctx, { phys: toPhysAddr(phys), sizeBytes: size, dir, attrs });
  if (cacheable && decision.path === 'swiotlb' && (decision.reason === 'forced' || decision.reason === 'cc-rule'))
    device.decisionCache.set(dir, decision);
  return decision;
}

export function map(run: RunState, op: MapOp, index: number): void {
  const device = run.devices.get(op.device)!;
  const counters = device.counters;
  if (device.refusedAtProbe) {
    run.failedIds.add(op.id);
    run.counters.failedMaps++;
    counters.errors++;
    run.findings.addFailure('F14', device.id, device.index, index, 'virtio-access-platform', 'probe', null);
    return;
  }
  if (device.tioWarn) run.log.log('is_swiotlb_force_bounce:tio', 'once', index, '(TIO) Disable SWIOTLB');
  const segments = op.segments;
  const mapping = acquireMapping(run, device, op.dir);
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s]!;
    counters.maps++;
    counters.bytes += segment.size;
    if (device.gpadl) mapGpadlSegment(run, device, mapping, op, segment, index);
    else if (device.privateNetvscBuffers && (op.dir === 'from-device' || segment.size <= netvscSendSectionBytes))
      mapPrivateNetvscSegment(mapping, segment);
    else if (!mapSegment(run, device, mapping, op, segment, index)) return undo(run, mapping, op.id);
  }
  device.live++;
  run.mappings.set(op.id, mapping);
}

/** netvsc on a non-confidential channel: the payload is copied into the decrypted GPADL send/receive buffer (V9). */
function mapGpadlSegment(
  run: RunState,
  device: DeviceState,
  mapping: LiveMapping,
  op: MapOp,
  segment: Segment,
  index: number,
): void {
  mapping.path = 'gpadl';
  mapping.rule = 'netvsc-gpadl';
  mapping.shared = true;
  device.counters.gpadlBuffers++;
  if (segment.data === 'public') run.counters.publicBytesShared += segment.size;
  else if (op.dir !== 'from-device') {
    setFacts(run, 'map-direct', 'vmbus-gpadl', op.dir, segment.data, mapping.rule, 'gpadl', false);
    expose(run, device, index, segment.size);
  }
  pushSegment(mapping, segment.phys, segment.size, -1, segment.data);
}

/**
 * A Confidential VMBus netvsc packet that never reaches the DMA API: received data is copied out of
 * the receive buffer, and netvsc_send() copies a packet that fits a send section into the send
 * buffer (netvsc_copy_to_send_buf()); with co_external_memory both buffers stay encrypted.
 */
function mapPrivateNetvscSegment(mapping: LiveMapping, segment: Segment): void {
  mapping.path = 'bypass';
  mapping.rule = 'netvsc-private-buffer';
  mapping.device.counters.directMaps++;
  pushSegment(mapping, segment.phys, segment.size, -1, segment.data);
}

/** One segment through dma_direct_map_phys(): error, bounce, or direct/bypass. Returns false when the map fails. */
function mapSegment(
  run: RunState,
  device: DeviceState,
  mapping: LiveMapping,
  op: MapOp,
  segment: Segment,
  index: number,
): boolean {
  const decision = decide(run, device, segment.phys, segment.size, op.dir, op.attrs);
  mapping.rule = decision.rule;
  if (decision.path === 'error') {
    const fc = decision.failure;
    const log = decision.log;
    const limit = fc === 'F1' ? 'ratelimited' : log ? 'once' : 'none';
    failure(
      run,
      device,
      index,
      fc,
      decision.rule,
      'dma-direct',
      `dma_direct_map_phys:${fc}`,
      limit,
      log ? () => log : null,
    );
    return false;
  }
  if (decision.path === 'swiotlb') return bounceSegment(run, device, mapping, op, segment, index, decision);
  device.counters.directMaps++;
  if (decision.path === 'direct') {
    mapping.path = 'direct';
    if (decision.failure === 'F8')
      run.findings.addFailure('F8', device.id, device.index, index, decision.rule, 'noforce', null);
    if (decision.memoryState === 'shared' && run.memEncrypt && !decision.isMmio) {
      // DMA_ATTR_CC_SHARED (rows A3/B3): the caller's page is already shared memory (V8 when it holds confidential data).
      mapping.shared = true;
      if (segment.data === 'public') run.counters.publicBytesShared += segment.size;
      else {
        setFacts(run, 'map-direct', 'cc-shared-buffer', op.dir, segment.data, decision.rule, 'cc-shared', false);
        expose(run, device, index, segment.size);
      }
    }
  } else mapping.path = 'bypass';
  pushSegment(mapping, segment.phys, segment.size, -1, segment.data);
  return true;
}

/** swiotlb_map(): swiotlb_tbl_map_single() copies the segment into bounce slots, then dma_capable() re-checks the bounce address. */
function bounceSegment(
  run: RunState,
  device: DeviceState,
  mapping: LiveMapping,
  op: MapOp,
  segment: Segment,
  index: number,
  decision: SwiotlbDecision,
): boolean {
  mapping.path = 'swiotlb';
  const target =
    decision.pool === 'restricted' ? device.restricted : decision.pool === 'private-default' ? run.privateMem : run.mem;
  invariant(
    target !== null || !device.ctx.env.swiotlb.defaultPoolSlots || decision.pool !== 'default',
    'swiotlb decision without a pool',
  );
  run.mappingDevice = device;
  const tlb = target ? mapSingle(target, device.swiotlb, op.cpu, segment.phys, segment.size, 0) : -1;
  if (tlb < 0) {
    const reason = target?.lastFailure ?? 'no-pool';
    const used = target?.used ?? 0;
    const total = target?.nslabs ?? 0;
    // v6.10+ prints the size including the pre-padding offset (ALIGN(mapping_size + offset, ...)); older kernels alloc_size.
    const size =
      run.resolved.kernel.allocatorRules === 'v6.10'
        ? segment.size + ((segment.phys % IO_TLB_SIZE) & device.swiotlb.minAlignMask)
        : segment.size;
    const noWarn = op.attrs.includes('NO_WARN');
    failure(
      run,
      device,
      index,
      failureForSlots[reason],
      decision.rule,
      reason,
      'swiotlb_tbl_map_single',
      noWarn ? 'none' : 'ratelimited',
      () => `swiotlb buffer is full (sz: ${size} bytes), total ${total} (slots), used ${used} (slots)`,
    );
    return false;
  }
  if (run.env.ccAttributes.memEncrypt && decision.memoryState === 'shared')
    run.log.log(
      'swiotlb_tbl_map_single:mem-encrypt',
      'once',
      index,
      'Memory encryption is active and system is using DMA bounce buffers',
    );
  run.counters.areaLocks++; // swiotlb_search_pool_area() under the area lock
  run.counters.bouncedBytesToDevice += segment.size; // the map-time copy is unconditional (§3.5)
  run.counters.copyNs += segment.size / costModel.memcpyBytesPerNs;
  mapping.shared = decision.memoryState === 'shared';
  if (mapping.shared) {
    if (segment.data === 'public') run.counters.publicBytesShared += segment.size;
    else {
      const transient = target!.lastPool?.transient === true;
      const memory = decision.pool === 'restricted' ? 'restricted-pool' : transient ? 'transient-pool' : 'swiotlb';
      const detail = transient ? transientDetail[decision.reason] : mapCopyDetail[decision.pool][decision.reason];
      setFacts(
        run,
        'map-copy',
        memory,
        op.dir,
        op.dir === 'from-device' ? 'stale' : segment.data,
        decision.rule,
        detail,
        decision.forcedOnlyByCmdline,
      );
      expose(run, device, index, segment.size);
    }
  }
  // swiotlb_map(): the dma_capable() re-check comes after the copy (§14.2 item 1): F4 exposes, then fails.
  if (tlb + segment.size - 1 > device.capableUpTo[decision.pool]) {
    const completion = run.profile.completeSwiotlbMap(device.ctx, decision, toPhysAddr(tlb), segment.size);
    if (!completion.ok) {
      releaseSlots(run, target!, device, tlb);
      failure(
        run,
        device,
        index,
        'F4',
        decision.rule,
        'capability re-check',
        'swiotlb_map:F4',
        'once',
        () => completion.log,
      );
      return false;
    }
    device.capableUpTo[decision.pool] = tlb + segment.size - 1;
  }
  device.counters.bounces++;
  if (decision.reason !== 'not-capable') {
    // Bounced because the CoCo guest forces it (A4/B2 forced, B5 CC rule), not for an addressing limit.
    device.counters.forcedBounces++;
    if (device.firstBounceOp < 0) device.firstBounceOp = index;
  }
  pushSegment(mapping, segment.phys, segment.size, tlb, segment.data);
  return true;
}

function acquireMapping(run: RunState, device: DeviceState, dir: DmaDirection): LiveMapping {
  const mapping = run.freeMappings.pop();
  if (!mapping)
    return {
      device,
      dir,
      path: 'direct',
      rule: '',
      shared: false,
      phys: [],
      sizes: [],
      tlbs: [],
      data: [],
      written: null,
      count: 0,
      totalBytes: 0,
    };
  mapping.device = device;
  mapping.dir = dir;
  mapping.path = 'direct';
  mapping.rule = '';
  mapping.shared = false;
  mapping.written = null;
  mapping.count = 0;
  mapping.totalBytes = 0;
  return mapping;
}

function pushSegment(mapping: LiveMapping, phys: number, size: number, tlb: number, data: SpecDataClass): void {
  const i = mapping.count++;
  mapping.phys[i] = phys;
  mapping.sizes[i] = size;
  mapping.tlbs[i] = tlb;
  mapping.data[i] = data;
  mapping.totalBytes += size;
}

/** Releases the segments of a map_sg that failed part-way, as dma_direct_map_sg() unmaps what it mapped. */
function undo(run: RunState, mapping: LiveMapping, id: string | number): void {
  run.failedIds.add(id);
  run.counters.failedMaps++;
  mapping.device.counters.errors++;
  for (let i = 0; i < mapping.count; i++) {
    const tlb = mapping.tlbs[i]!;
    if (tlb >= 0) releaseSlots(run, memOf(run, mapping.device, tlb), mapping.device, tlb);
  }
  run.freeMappings.push(mapping);
}

/** Which io_tlb_mem holds a bounce address (the device's restricted pool, the private pool or the default one). */
function memOf(run: RunState, device: DeviceState, tlb: number): TlbMem {
  if (!device.restricted && !run.privateMem) return run.mem!;
  if (device.restricted && findPool(device.restricted, tlb)) return device.restricted;
  if (run.privateMem && findPool(run.privateMem, tlb)) return run.privateMem;
  return run.mem!;
}

/** swiotlb_tbl_unmap_single(): release the slots, or delete a transient pool (its memory goes back to the atomic pool). */
export function releaseSlots(run: RunState, mem: TlbMem, device: DeviceState, tlb: number): void {
  if (mem.transientPools.length > 0) {
    const pool = findPool(mem, tlb);
    if (pool?.transient) return deleteTransientPool(mem, pool);
  }
  unmapSingle(mem, device.swiotlb, tlb);
}

export function deviceWrite(
  run: RunState,
  id: string | number,
  bytes: number,
  data: SpecDataClass,
  index: number,
): void {
  const mapping = run.mappings.get(id);
  if (!mapping) {
    if (run.failedIds.has(id)) run.counters.skipped++;
    return; // the mapping failed (skipped, docs/engine-contract.md §2.1) or is a coherent region
  }
  mapping.written = data;
  if (!mapping.shared || mapping.path === 'direct') return;
  const written = Math.min(bytes, mapping.totalBytes);
  if (data === 'public') {
    run.counters.publicBytesShared += written;
    return;
  }
  if (mapping.path === 'gpadl') {
    setFacts(run, 'map-direct', 'vmbus-gpadl', mapping.dir, data, mapping.rule, 'gpadl', false);
    return expose(run, mapping.device, index, written);
  }
  // A trusted backend (paravisor VSP, accepted device) writing confidential data into a shared bounce buffer (V1).
  if (mapping.device.resolved.trust === 'untrusted') return;
  setFacts(run, 'device-write', 'swiotlb', mapping.dir, data, mapping.rule, 'device write', false);
  expose(run, mapping.device, index, written);
}

export function sync(
  run: RunState,
  id: string | number,
  target: 'device' | 'cpu',
  offset: number,
  length: number | null,
  index: number,
): void {
  const mapping = run.mappings.get(id);
  if (!mapping || mapping.path !== 'swiotlb') return;
  const total = mapping.totalBytes;
  const synced = Math.max(0, Math.min(length ?? total - offset, total - offset));
  if (target === 'device' && mapping.dir !== 'from-device') {
    run.counters.bouncedBytesToDevice += synced;
    run.counters.copyNs += synced / costModel.memcpyBytesPerNs;
    // V7: the rest of the bounce buffer keeps what the map-time copy put there.
    const rest = total - synced;
    const data = mapping.data[0]!;
    if (rest > 0 && mapping.shared && data !== 'public') {
      setFacts(run, 'sync-subrange', 'swiotlb', mapping.dir, data, mapping.rule, 'sub-range', false);
      expose(run, mapping.device, index, rest);
    }
  }
  if (target === 'cpu' && mapping.dir !== 'to-device') {
    run.counters.bouncedBytesFromDevice += synced;
    run.counters.copyNs += synced / costModel.memcpyBytesPerNs;
  }
}

export function unmap(run: RunState, id: string | number, skipCpuSync: boolean, index: number): void {
  const mapping = run.mappings.get(id);
  if (!mapping) {
    if (run.failedIds.delete(id)) run.counters.skipped++;
    return;
  }
  run.mappings.delete(id);
  const device = mapping.device;
  device.live--;
  if (mapping.path === 'swiotlb') unmapBounced(run, mapping, skipCpuSync, index);
  run.freeMappings.push(mapping);
}

/**
 * swiotlb_tbl_unmap_single(): swiotlb_bounce(DMA_FROM_DEVICE) copies the slots back for
 * FROM_DEVICE/BIDIRECTIONAL unless DMA_ATTR_SKIP_CPU_SYNC, then swiotlb_release_slots().
 */
function unmapBounced(run: RunState, mapping: LiveMapping, skipCpuSync: boolean, index: number): void {
  const device = mapping.device;
  for (let i = 0; i < mapping.count; i++) {
    const tlb = mapping.tlbs[i]!;
    if (tlb < 0) continue;
    const size = mapping.sizes[i]!;
    if (mapping.dir !== 'to-device' && !skipCpuSync) {
      run.counters.bouncedBytesFromDevice += size;
      run.counters.copyNs += size / costModel.memcpyBytesPerNs;
    }
    releaseSlots(run, memOf(run, device, tlb), device, tlb);
    run.counters.areaLocks++; // swiotlb_release_slots() under the area lock
    // swiotlb_release_slots() does not scrub (V6): what is in the slots stays readable by the host —
    // after a read, what the device wrote (swiotlb_bounce() copied it back, the slots keep it).
    const data = mapping.dir === 'from-device' ? (mapping.written ?? 'stale') : mapping.data[i]!;
    if (mapping.shared && data !== 'public') {
      setFacts(run, 'unmap-residue', 'swiotlb', mapping.dir, data, mapping.rule, 'release', false);
      expose(run, device, index, size);
    }
  }
}
