import { invariant } from '../invariant';
import { DYNAMIC_POOL_MAX_SLOTS, IO_TLB_MIN_SLABS, IO_TLB_SEGSIZE, PAGE_SHIFT, PAGE_SIZE } from './constants';
import { poolFindSlots, searchPoolArea, type SearchStats, type SlotRequest } from './find-slots';
import { createPool, type Pool, poolGeometry } from './pool';
import { releaseSlots } from './release-slots';
import type { AllocatorRules } from './rules';
import { limitNareas } from './boot-sizing';

/** What the allocator needs to know about a device (`struct device` fields it reads). */
export interface SwiotlbDevice {
  /** dma_get_min_align_mask(), at most 0xffff. */
  readonly minAlignMask: number;
  /** dma_get_seg_boundary(): 2^n - 1, up to ULONG_MAX. */
  readonly segBoundaryMask: bigint;
  /** phys_to_dma_unencrypted() for this device; identity when absent. */
  readonly encodeUnencrypted?: (phys: bigint) => bigint;
  /** min_not_zero(dma_mask, bus_dma_limit): the highest address a transient pool may use. */
  readonly physLimit?: number;
}

/** Why a map found no slots (failure classes F1-F3 of reference §10.2). */
export type SlotFailureReason = 'too-large' | 'full' | 'fragmented' | 'alignment';

/** Allocates backing memory for a dynamic pool: returns its physical start or null (GFP_NOWAIT / buddy failure). */
export type PoolBackingAllocator = (bytes: number, physLimit: number, purpose: 'transient' | 'grow') => number | null;
export type PoolBackingRelease = (start: number, bytes: number) => void;

/** `struct io_tlb_mem`: the allocator a device points to, with its pools and debugfs counters. */
export interface TlbMem {
  readonly rules: AllocatorRules;
  /** Non-transient pools, newest first; the boot pool (defpool) is last (list_add_rcu inserts at the head). */
  readonly pools: Pool[];
  /** Transient pools currently alive (one allocation each). */
  readonly transientPools: Set<Pool>;
  /** `mem->nslabs`: slots of the non-transient pools. */
  nslabs: number;
  /** debugfs io_tlb_used (transient allocations included). */
  used: number;
  /** debugfs io_tlb_used_hiwater. */
  hiwater: number;
  /** debugfs io_tlb_transient_nslabs. */
  transientSlots: number;
  /** CONFIG_SWIOTLB_DYNAMIC with can_grow. */
  readonly dynamic: boolean;
  /** Set when a miss scheduled the background grower; cleared when it runs. */
  growRequested: boolean;
  /** The grower's wanted size (`default_nslabs`) and areas. */
  readonly growSlots: number;
  readonly growAreas: number;
  /** Restricted pools are also used for coherent allocations (`for_alloc`). */
  readonly forAlloc: boolean;
  readonly backing: { allocate: PoolBackingAllocator; release: PoolBackingRelease } | null;
  /** Results of the last map, so the hot path allocates nothing. */
  lastPool: Pool | null;
  lastSlot: number;
  lastFailure: SlotFailureReason | null;
  readonly stats: SwiotlbStats;
}

/** Exact counters for the engine's metrics. */
export interface SwiotlbStats extends SearchStats {
  maps: number;
  unmaps: number;
  slotsScannedMax: number;
  failures: Record<SlotFailureReason, number>;
  poolsGrown: number;
  transientPoolsCreated: number;
}

export interface CreateTlbMemOptions {
  readonly rules: AllocatorRules;
  /** The boot pool; null when there is none (swiotlb=noforce, or a dynamic-only setup). */
  readonly defaultPool: { nslabs: number; nareas: number; start: number } | null;
  readonly dynamic?: boolean;
  readonly forAlloc?: boolean;
  readonly backing?: { allocate: PoolBackingAllocator; release: PoolBackingRelease };
}

export function createTlbMem(options: CreateTlbMemOptions): TlbMem {
  const pools = options.defaultPool ? [createPool({ ...options.defaultPool, rules: options.rules })] : [];
  invariant(!options.dynamic || options.backing, 'dynamic SWIOTLB needs a backing allocator');
  return {
    rules: options.rules,
    pools,
    transientPools: new Set(),
    nslabs: pools.reduce((sum, pool) => sum + pool.nslabs, 0),
    used: 0,
    hiwater: 0,
    transientSlots: 0,
    dynamic: options.dynamic ?? false,
    growRequested: false,
    growSlots: options.defaultPool?.nslabs ?? DYNAMIC_POOL_MAX_SLOTS,
    growAreas: options.defaultPool?.nareas ?? 1,
    forAlloc: options.forAlloc ?? false,
    backing: options.backing ?? null,
    lastPool: null,
    lastSlot: -1,
    lastFailure: null,
    stats: { maps: 0, unmaps: 0, slotsScanned: 0, slotsScannedMax: 0, failures: { 'too-large': 0, full: 0, fragmented: 0, alignment: 0 }, poolsGrown: 0, transientPoolsCreated: 0 },
  };
}

/** `inc_used_and_hiwater()`. */
function incUsedAndHiwater(mem: TlbMem, nslots: number): void {
  mem.used += nslots;
  if (mem.used > mem.hiwater) mem.hiwater = mem.used;
}

const request: { -readonly [K in keyof SlotRequest]: SlotRequest[K] } = { origAddr: 0, allocSizeBytes: 0, allocAlignMask: 0, minAlignMask: 0 };

/**
 * swiotlb_find_slots(): every pool newest-first (per area round for dynamic builds), then — dynamic
 * and allowed to grow — schedule the grower and try a transient pool. Sets mem.lastPool/lastSlot.
 */
function findSlots(mem: TlbMem, device: SwiotlbDevice, cpu: number, origAddr: number, allocSizeBytes: number, allocAlignMask: number): number {
  request.origAddr = origAddr;
  request.allocSizeBytes = allocSizeBytes;
  request.allocAlignMask = allocAlignMask;
  request.minAlignMask = device.minAlignMask;
  const scannedBefore = mem.stats.slotsScanned;
  let index = -1;
  let chosen: Pool | null = null;
  if (!mem.dynamic) {
    const pool = mem.pools[0];
    if (pool) {
      index = poolFindSlots(pool, cpu, poolGeometry(pool, device), request, mem.stats);
      chosen = pool;
    }
  } else if (allocSizeBytes <= IO_TLB_SEGSIZE * 2048) {
    // v6.10 dynamic search: one area per pool per round, newest pool first (reference §5.7).
    const rounds = mem.pools.reduce((max, pool) => Math.max(max, pool.nareas), 0);
    search: for (let round = 0; round < rounds; round++) {
      for (const pool of mem.pools) {
        if (pool.nareas <= round) continue;
        const area = (cpu + round) & (pool.nareas - 1);
        index = searchAreaOf(mem, pool, area, device);
        if (index >= 0) {
          chosen = pool;
          break search;
        }
      }
    }
    if (index < 0) {
      mem.growRequested = true;
      const transient = createTransientPool(mem, device, allocSizeBytes);
      if (transient) {
        index = searchAreaOf(mem, transient, 0, device);
        if (index >= 0) {
          chosen = transient;
          mem.transientPools.add(transient);
          mem.transientSlots += transient.nslabs;
          mem.stats.transientPoolsCreated++;
        } else {
          mem.backing!.release(transient.start, transient.nslabs * 2048);
        }
      }
    }
  }
  const scanned = mem.stats.slotsScanned - scannedBefore;
  if (scanned > mem.stats.slotsScannedMax) mem.stats.slotsScannedMax = scanned;
  mem.lastPool = index >= 0 ? chosen : null;
  mem.lastSlot = index;
  if (index >= 0) incUsedAndHiwater(mem, Math.ceil(allocSizeBytes / 2048));
  return index;
}

function searchAreaOf(mem: TlbMem, pool: Pool, area: number, device: SwiotlbDevice): number {
  return searchPoolArea(pool, area, poolGeometry(pool, device), request, mem.stats);
}

function createTransientPool(mem: TlbMem, device: SwiotlbDevice, allocSizeBytes: number): Pool | null {
  if (!mem.backing) return null;
  const nslabs = Math.ceil(allocSizeBytes / 2048);
  const start = mem.backing.allocate(nslabs * 2048, device.physLimit ?? Number.MAX_SAFE_INTEGER, 'transient');
  if (start === null) return null;
  return createPool({ nslabs, nareas: 1, start, rules: mem.rules, transient: true });
}

/**
 * swiotlb_tbl_map_single(): prepares the request (offset, padding, size by rule set), finds slots,
 * records the original address per slot and returns the bounce address, or -1 (DMA_MAPPING_ERROR)
 * with mem.lastFailure set. `mappingSizeBytes` is what the caller maps; `allocAlignMask` is 0 for
 * streaming maps.
 */
export function tblMapSingle(mem: TlbMem, device: SwiotlbDevice, cpu: number, origAddr: number, mappingSizeBytes: number, allocAlignMask: number): number {
  mem.stats.maps++;
  const minAlign = device.minAlignMask;
  const origLow32 = origAddr >>> 0;
  let offset: number;
  let searchSize: number;
  if (mem.rules === 'v6.6') {
    offset = origLow32 & minAlign & 2047;
    searchSize = mappingSizeBytes + offset;
  } else {
    offset = origLow32 & minAlign & (allocAlignMask | 2047);
    // v6.9 still sized by alloc_size + offset; v6.10 aligns to alloc_align_mask + 1 (reference §5.11 item 1).
    searchSize = mem.rules === 'v6.9' ? mappingSizeBytes + offset : alignUp(mappingSizeBytes + offset, allocAlignMask + 1);
  }
  const first = findSlots(mem, device, cpu, origAddr, searchSize, allocAlignMask);
  if (first < 0) {
    mem.lastFailure = classifyFailure(mem, searchSize);
    mem.stats.failures[mem.lastFailure]++;
    return -1;
  }
  mem.lastFailure = null;
  const pool = mem.lastPool!;
  const padSlots = mem.rules === 'v6.6' ? 0 : offset >>> 11;
  const subOffset = offset & 2047;
  const index = first + padSlots;
  if (padSlots > 0 || mem.rules !== 'v6.6') pool.padSlots[index] = padSlots;
  const mirrored = Math.ceil(searchSize / 2048) - padSlots;
  for (let i = 0; i < mirrored; i++) pool.origAddr[index + i] = origAddr + i * 2048;
  return pool.start + index * 2048 + subOffset;
}

/** The pool holding a bounce address (swiotlb_find_pool()). */
export function findPool(mem: TlbMem, tlbAddr: number): Pool | undefined {
  for (const pool of mem.transientPools) if (tlbAddr >= pool.start && tlbAddr < pool.start + pool.nslabs * 2048) return pool;
  for (const pool of mem.pools) if (tlbAddr >= pool.start && tlbAddr < pool.start + pool.nslabs * 2048) return pool;
  return undefined;
}

/** __swiotlb_tbl_unmap_single() minus the copy-back: deletes a transient pool or releases the slots. */
export function tblUnmapSingle(mem: TlbMem, device: SwiotlbDevice, tlbAddr: number): void {
  // Fast path: a static pool and no transient pools (the common, non-dynamic case).
  const pool = mem.transientPools.size === 0 && mem.pools.length === 1 ? mem.pools[0] : findPool(mem, tlbAddr);
  if (pool === undefined) invariant(false, `bounce address 0x${tlbAddr.toString(16)} is in no pool`);
  mem.stats.unmaps++;
  if (pool.transient) {
    // swiotlb_del_transient(): the whole pool goes, accounted by its size.
    mem.used -= pool.nslabs;
    mem.transientSlots -= pool.nslabs;
    mem.transientPools.delete(pool);
    mem.backing?.release(pool.start, pool.nslabs * 2048);
    return;
  }
  mem.used -= releaseSlots(pool, tlbAddr, device.minAlignMask);
  // Messages are built only on failure: this runs millions of times per second.
  if (mem.used < 0) invariant(false, `used went negative (${mem.used}) releasing 0x${tlbAddr.toString(16)}`);
}

/**
 * swiotlb_dyn_alloc(): the background grower, run by deferred work. Wants `default_nslabs` slots,
 * capped at one buddy allocation (2048 slots), halving down to IO_TLB_MIN_SLABS; the new pool is
 * searched first from now on. Returns the pool or null.
 */
export function growPool(mem: TlbMem, physLimit: number): Pool | null {
  mem.growRequested = false;
  if (!mem.dynamic || !mem.backing) return null;
  let nslabs = mem.growSlots;
  let nareas = mem.growAreas;
  if (nslabs > DYNAMIC_POOL_MAX_SLOTS) {
    nslabs = DYNAMIC_POOL_MAX_SLOTS;
    nareas = limitNareas(nareas, nslabs);
  }
  let start = mem.backing.allocate(nslabs * 2048, physLimit, 'grow');
  while (start === null) {
    if (nslabs <= IO_TLB_MIN_SLABS) return null;
    nslabs = alignUp(nslabs >> 1, IO_TLB_SEGSIZE);
    nareas = limitNareas(nareas, nslabs);
    start = mem.backing.allocate(nslabs * 2048, physLimit, 'grow');
  }
  const pool = createPool({ nslabs, nareas, start, rules: mem.rules });
  mem.pools.unshift(pool);
  mem.nslabs += nslabs;
  mem.stats.poolsGrown++;
  return pool;
}

/**
 * swiotlb_alloc() for restricted pools (coherent allocations carved from the pool): v6.9+ asks for
 * `2^(order + PAGE_SHIFT)` alignment and refuses a non-page-aligned result; v6.6 asked for none and
 * could return an odd slot. Returns the physical address or -1.
 */
export function swiotlbAlloc(mem: TlbMem, device: SwiotlbDevice, sizeBytes: number): number {
  const order = Math.max(0, Math.ceil(Math.log2(Math.ceil(sizeBytes / PAGE_SIZE))));
  const allocAlignMask = mem.rules === 'v6.6' ? 0 : 2 ** (order + PAGE_SHIFT) - 1;
  const index = findSlots(mem, device, 0, 0, sizeBytes, allocAlignMask);
  if (index < 0) {
    mem.lastFailure = classifyFailure(mem, sizeBytes);
    mem.stats.failures[mem.lastFailure]++;
    return -1;
  }
  const pool = mem.lastPool!;
  const tlbAddr = pool.start + index * 2048;
  if (mem.rules !== 'v6.6' && tlbAddr % PAGE_SIZE !== 0) {
    mem.used -= releaseSlots(pool, tlbAddr, device.minAlignMask);
    mem.lastFailure = 'alignment';
    mem.stats.failures.alignment++;
    return -1;
  }
  return tlbAddr;
}

/** Why no slots were found: larger than a segment, not enough free slots, no free run long enough, or alignment. */
function classifyFailure(mem: TlbMem, searchSize: number): SlotFailureReason {
  const nslots = Math.ceil(searchSize / 2048);
  if (nslots > IO_TLB_SEGSIZE) return 'too-large';
  let free = 0;
  let longestRun = 0;
  for (const pool of mem.pools) {
    for (let i = 0; i < pool.nareas * pool.areaSlots; i++) {
      const run = pool.list[i]!;
      if (run > 0) free++;
      if (run > longestRun) longestRun = run;
    }
  }
  if (free < nslots) return 'full';
  return longestRun < nslots ? 'fragmented' : 'alignment';
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
