import { invariant } from '../invariant';
import { deleteTransientPool, dynamicFindSlots } from './dynamic';
import { poolFindSlots, scanArea, type SearchStats, slotCount } from './find-slots';
import { classifyFailure } from './metrics';
import { type Pool, type PoolGeometry, poolGeometry, type SwiotlbDevice } from './pool';
import { releaseSlotRun, releaseSlots } from './release-slots';
import { findPool, type TlbMem } from './tlb-mem';

// Hot-path design (docs/engine/swiotlb.md "Hot path layout"): tblMapSingle() and tblUnmapSingle()
// are small wrappers meant to be inlined into the caller; they turn the double addresses of the
// API into slot indices and 32-bit halves before calling mapSlots() / unmapSlotRun(), so no
// heap number is allocated per operation. mapSlots() holds the static-pool find-slots step itself
// (it is too large to be inlined, which keeps tblMapSingle() inlinable), including the request
// setup of searchAreas(), and calls scanArea() for the CPU's area and scanOtherAreas() for the rest.

// Hot-path calls into other modules go through these bindings, taken once at load: under tsx/esbuild
// every `import { f }` use is a getter call on the module object, which showed up at ~10 % of the
// swiotlb-4k-50pct profile. Plain functions, same semantics.
const poolFindSlotsFn = poolFindSlots;
const scanAreaFn = scanArea;
const slotCountFn = slotCount;
const dynamicFindSlotsFn = dynamicFindSlots;
const releaseSlotsFn = releaseSlots;
const releaseSlotRunFn = releaseSlotRun;
const poolGeometryFn = poolGeometry;
const findPoolFn = findPool;

/**
 * swiotlb_find_slots(): non-dynamic builds search the default pool from the CPU's area round
 * robin; dynamic builds go through dynamicFindSlots(). On success sets mem.lastPool, bumps
 * io_tlb_used / hiwater by nr_slots(allocSize) and returns the first slot (padding included).
 */
export function findSlots(
  mem: TlbMem,
  device: SwiotlbDevice,
  cpu: number,
  origAddr: number,
  allocSize: number,
  allocAlignMask: number,
): number {
  const stats = mem.stats;
  const scannedBefore = stats.slotsScanned;
  let index = -1;
  if (mem.dynamic !== true) {
    const pool = mem.pools[0];
    if (pool !== undefined) {
      index = poolFindSlotsFn(
        pool,
        cpu,
        poolGeometryFn(pool, device),
        origAddr,
        allocSize,
        allocAlignMask,
        device.minAlignMask,
        stats,
      );
      mem.lastPool = pool;
    }
  } else {
    index = dynamicFindSlotsFn(mem, device, cpu, origAddr, allocSize, allocAlignMask);
  }
  const scanned = (stats.slotsScanned - scannedBefore) | 0; // < 2^31 slots per map: an int32
  if (scanned > stats.slotsScannedMax) stats.slotsScannedMax = scanned;
  if (index < 0) {
    mem.lastPool = null;
    return -1;
  }
  // A successful search bounds allocSize by 128 slots, so the int32 form of nr_slots() is exact.
  const nslots = (allocSize + 2047) >>> 11;
  // inc_used_and_hiwater() (tlb-mem.ts has the named version; inlined here for the hot path).
  const used = (mem.used += nslots);
  if (used > mem.hiwater) mem.hiwater = used;
  const pool = mem.lastPool!;
  if (index + nslots > pool.nslabs) stats.slotsPastPoolEnd += index + nslots - pool.nslabs;
  return index;
}

/**
 * swiotlb_tbl_map_single(): prepares the request by rule set, finds slots, records the original
 * address per slot (and pad_slots) and returns the bounce address, or -1 (DMA_MAPPING_ERROR) with
 * mem.lastFailure set. `mappingSize` is what the caller maps (v6.6/v6.9 `alloc_size` equals it for
 * swiotlb_map); `allocAlignMask` is 0 for streaming maps. mem.lastSlot is the first allocated
 * slot (padding included), as the replay format reports it.
 *
 * - v6.6:  offset = orig & min_align & 2047;                       size = mapping + offset
 * - v6.9:  offset = orig & min_align & (alloc_align | 2047);       size = mapping + offset
 * - v6.10: offset as v6.9;                                         size = ALIGN(mapping + offset, alloc_align + 1)
 * v6.9+ then puts `offset >> 11` whole padding slots before the buffer.
 *
 * Kept tiny on purpose: the work happens in mapSlots(), which returns a small-integer slot index;
 * the bounce address (a double, ≥ 2^31 for most pools) is formed here, so when V8 inlines this
 * wrapper into its caller the address never becomes a heap-allocated number.
 */
export function tblMapSingle(
  mem: TlbMem,
  device: SwiotlbDevice,
  cpu: number,
  origAddr: number,
  mappingSize: number,
  allocAlignMask: number,
): number {
  // orig goes in as two small integers, its low 32 bits (as int32) and the bits above them
  // (exact: orig < 2^52, and the difference is a multiple of 2^32), because a double argument
  // to a call that is not inlined is boxed as a heap number.
  const origLow = origAddr | 0;
  const index = mapSlotsFn(
    mem,
    device,
    cpu,
    origLow,
    (origAddr - (origLow >>> 0)) * (1 / 4294967296),
    mappingSize,
    allocAlignMask,
  );
  if (index < 0) return -1;
  // slot_addr(pool->start, index) + (offset & 2047); offset & 2047 is orig & min_align & 2047 under every rule set.
  return mem.lastPool!.start + index * 2048 + ((origAddr >>> 0) & device.minAlignMask & 2047);
}

/**
 * tblMapSingle() minus the address: returns the slot holding the buffer's first byte (after any
 * padding slots), or -1. orig = origHigh * 2^32 + (origLow >>> 0).
 *
 * This function is the static-pool path (one pool, non-dynamic: TlbMem.onlyPool); every other
 * case goes to mapSlotsAnyPool() with a call in tail position, so no value of the static path is
 * live across a call, and the static path's tail uses its own `pool` instead of reloading
 * mem.lastPool (valgrind on bench:engine swiotlb-4k-50pct: 512 → 495 instructions per map, the
 * same in two runs each).
 */
function mapSlots(
  mem: TlbMem,
  device: SwiotlbDevice,
  cpu: number,
  origLow: number,
  origHigh: number,
  mappingSize: number,
  allocAlignMask: number,
): number {
  const stats = mem.stats;
  stats.maps++;
  if (mem.nslabs === 0) {
    // "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer"
    return failMap(mem, 'no-pool');
  }
  const rules = mem.ruleSet;
  const minAlign = device.minAlignMask;
  let offset: number;
  let size: number;
  if (rules.padSlots !== true) {
    offset = origLow & minAlign & 2047;
    size = mappingSize + offset;
  } else {
    offset = origLow & minAlign & (allocAlignMask | 2047);
    size = mappingSize + offset;
    // ALIGN(x, a) with a = alloc_align_mask + 1 a power of two (masks are 2^n - 1 < 2^31): a mask
    // while x + alloc_align_mask fits an int32, else (a request of 2 GiB or more, which no search
    // can satisfy) the exact floating-point form.
    if (rules.sizeRoundedToAlignMask === true && allocAlignMask !== 0) {
      const sum = size + allocAlignMask;
      size = sum <= 0x7fff_ffff ? sum & ~allocAlignMask : Math.ceil(size / (allocAlignMask + 1)) * (allocAlignMask + 1);
    }
  }
  // TlbMem.onlyPool is null for a non-dynamic allocator only if a pool was added to it by hand;
  // findSlots() searches pools[0] then, as this path would.
  const pool = mem.onlyPool;
  // `=== true` on the rule flags and mem.dynamic: see searchAreas() (one compare instead of a full ToBoolean).
  if (pool === null || mem.dynamic === true)
    return mapSlotsAnyPoolFn(mem, device, cpu, origLow, origHigh, offset, size, allocAlignMask);
  // findSlots()'s non-dynamic branch, written out here on purpose: it makes this function too
  // large (in bytecode) for V8 to inline into tblMapSingle(), so tblMapSingle() stays small
  // enough to be inlined into its callers and the bounce address it forms is never boxed as
  // a heap number (measured with bench:engine swiotlb-4k-50pct). The replay and property
  // tests hold both copies to the kernel's choices.
  const scannedBefore = stats.slotsScanned;
  const nareas = pool.nareas;
  const geometry = poolGeometryFn(pool, device);
  // searchAreas()'s request setup (find-slots.ts, which documents each step), written out here so
  // that this function calls scanArea() itself: V8 inlines a function only while its bytecode plus
  // that of the functions its own optimized code already inlined, times 1.2, fits the caller's
  // budget (920 bytes). searchAreas() with scanArea() and takeSlots() inside is ~800 bytes, so
  // whenever searchAreas() had been optimized on its own before this function was (re)optimized
  // — a race between V8's compiler threads after a warm-up deoptimization — it stayed a call
  // (~8 % fewer pairs/CPU-s on swiotlb-4k-50pct in those runs). scanArea() with takeSlots() is
  // ~550 bytes and fits either way.
  let alignMask: number;
  let iotlbMask: number;
  if (pool.ruleSet.slotAlignment === true) {
    alignMask = (allocAlignMask === 0 && minAlign === 0 && size >= 4096 ? 4095 : allocAlignMask) | 2047;
    iotlbMask = minAlign & ~alignMask;
  } else {
    alignMask = 0;
    iotlbMask = (minAlign | allocAlignMask | (size >= 4096 ? 4095 : 0)) & ~2047;
  }
  const stride = ((alignMask >>> 0 > iotlbMask >>> 0 ? alignMask : iotlbMask) >>> 11) + 1;
  // `orig_addr &&` without a short-circuit on orig itself: a branch taken only for orig's with
  // zero low bits would lack type feedback and deoptimize the map path the first time it runs.
  const origMask = (origLow | origHigh) !== 0 ? iotlbMask : 0;
  const origBits = origLow & origMask;
  const nslots = slotCountFn(size);
  const sizeFromFirst = size - (origLow & minAlign & 2047);
  // The CPU's own area here, the others (round robin) out of line in scanOtherAreas(): most maps
  // are served by the first, and without a loop around the inlined search this function runs
  // fewer instructions (valgrind on bench:engine swiotlb-4k-50pct: 495 → 491 per map, two runs each).
  const area = cpu & (nareas - 1);
  let first = scanAreaFn(pool, area, geometry, nslots, alignMask, origMask, origBits, stride, sizeFromFirst, stats);
  if (first < 0 && nareas > 1)
    first = scanOtherAreasFn(pool, area, geometry, nslots, alignMask, origMask, origBits, stride, sizeFromFirst, stats);
  const scanned = (stats.slotsScanned - scannedBefore) | 0; // < 2^31 slots per map: an int32
  if (scanned > stats.slotsScannedMax) stats.slotsScannedMax = scanned;
  mem.lastSlot = first;
  if (first < 0) {
    mem.lastPool = null;
    return failMap(mem, classifyFailure(mem, device, size));
  }
  // Stored only when it changes: a pointer store into mem needs V8's write barrier, a compare does not.
  if (mem.lastPool !== pool) mem.lastPool = pool;
  if (mem.lastFailure !== null) mem.lastFailure = null;
  // nslots is at most 128 after a successful search, so it is nr_slots(size) exactly.
  const used = (mem.used += nslots); // inc_used_and_hiwater()
  if (used > mem.hiwater) mem.hiwater = used;
  if (first + nslots > pool.nslabs) stats.slotsPastPoolEnd += first + nslots - pool.nslabs;
  return mirrorOrigAddr(pool, first, offset >>> 11, nslots, origLow, origHigh);
}
const mapSlotsFn = mapSlots;

/** The rest of the static path's area round robin (swiotlb_find_slots()): the areas after `firstArea`, wrapping, until one succeeds. */
function scanOtherAreas(
  pool: Pool,
  firstArea: number,
  geometry: PoolGeometry,
  nslots: number,
  alignMask: number,
  origMask: number,
  origBits: number,
  stride: number,
  sizeFromFirst: number,
  stats: SearchStats,
): number {
  const nareas = pool.nareas;
  let area = firstArea;
  for (let tried = 1; tried < nareas; tried++) {
    if (++area >= nareas) area = 0;
    const index = scanAreaFn(pool, area, geometry, nslots, alignMask, origMask, origBits, stride, sizeFromFirst, stats);
    if (index >= 0) return index;
  }
  return -1;
}
const scanOtherAreasFn = scanOtherAreas;

/** mapSlots() from the search on, for every case but one static pool: dynamic builds and several pools. */
function mapSlotsAnyPool(
  mem: TlbMem,
  device: SwiotlbDevice,
  cpu: number,
  origLow: number,
  origHigh: number,
  offset: number,
  size: number,
  allocAlignMask: number,
): number {
  const first = findSlots(mem, device, cpu, origHigh * 4294967296 + (origLow >>> 0), size, allocAlignMask);
  mem.lastSlot = first;
  if (first < 0) return failMap(mem, classifyFailure(mem, device, size));
  mem.lastFailure = null;
  // A successful search bounds size by 128 slots, so the int32 form of nr_slots() is exact.
  return mirrorOrigAddr(mem.lastPool!, first, offset >>> 11, (size + 2047) >>> 11, origLow, origHigh);
}
const mapSlotsAnyPoolFn = mapSlotsAnyPool;

/**
 * The end of swiotlb_tbl_map_single() after a successful search from slot `first`: v6.9+ puts
 * `padSlots` (offset >> 11) whole padding slots before the buffer and records pad_slots in its
 * first slot; every slot from there to the end of the `nslots` (nr_slots(size)) records its part
 * of orig. Returns the buffer's first slot.
 */
function mirrorOrigAddr(
  pool: Pool,
  first: number,
  padSlots: number,
  nslots: number,
  origLow: number,
  origHigh: number,
): number {
  const origAddr = origHigh * 4294967296 + (origLow >>> 0);
  const index = first + padSlots;
  // v6.6: nr_slots(alloc_size + offset); v6.9: nr_slots(alloc_size + (offset & 2047));
  // v6.10: nr_slots(size) - pad_slots — all equal to this count for the size searched for.
  const mirrored = nslots - padSlots;
  const orig = pool.origAddr;
  // Only with padding: without it the slot's pad_slots is already 0 (a taken slot's listPad word is
  // 0; a zero-slot request takes nothing and keeps its word), so the common map skips a load and a store.
  if (padSlots !== 0) {
    // pad_slots goes in the high byte of Pool.listPad, the slot's `list` (0 once taken) in the low byte.
    const listPad = pool.listPad;
    listPad[index] = (listPad[index]! & 255) | (padSlots << 8);
    // Padding slots keep orig_addr invalid (the kernel never writes theirs); here they may still hold
    // a value from an earlier mapping, because release leaves origAddr as it was (Pool.origAddr).
    for (let i = first; i < index; i++) orig[i] = Number.NaN;
  }
  // The first slot outside the loop: see takeSlots() in find-slots.ts. mirrored ≥ 1 after a
  // successful search unless the request was zero bytes.
  if (mirrored > 0) {
    orig[index] = origAddr;
    // The second slot too (a 4 KiB buffer's): the loop's entry check and interrupt check are skipped for it.
    if (mirrored > 1) {
      orig[index + 1] = origAddr + 2048;
      for (let i = 2; i < mirrored; i++) orig[index + i] = origAddr + i * 2048;
    }
  }
  return index;
}

function failMap(mem: TlbMem, reason: Exclude<TlbMem['lastFailure'], null>): number {
  mem.lastFailure = reason;
  mem.lastSlot = -1;
  mem.stats.failedMaps++;
  mem.stats.failures[reason]++;
  return -1;
}

/**
 * swiotlb_tbl_unmap_single() minus the copy-back: deletes a transient pool
 * (swiotlb_del_transient) or releases the slots (swiotlb_release_slots). Returns false when the
 * address is in no pool — the kernel's is_swiotlb_buffer() is then false and dma-direct never
 * calls into SWIOTLB (only reachable after a v6.6 overrun past a transient pool's end).
 *
 * Kept small so V8 inlines it into its callers: the common case (one static pool, no transient
 * pools, the address inside it) turns the bounce address (a double, ≥ 2^31 for most pools) into
 * a slot index and in-slot offset here, and calls unmapSlotRun() with small integers only; a
 * double passed to a call that is not inlined would be boxed as a heap number on every unmap.
 */
export function tblUnmapSingle(mem: TlbMem, device: SwiotlbDevice, tlbAddr: number): boolean {
  const pool = mem.onlyPool; // one pool and no transient pools (TlbMem.onlyPool)
  if (pool !== null) {
    const offsetBytes = tlbAddr - pool.start;
    if (offsetBytes >= 0 && offsetBytes < pool.nslabs * 2048) {
      // (tlb_addr - offset - start) >> IO_TLB_SHIFT from the low 32 bits of tlb_addr: for a pool of
      // at most 2^21 slots (4 GiB) offsetBytes < 2^32 is (tlbLow - startLow) mod 2^32, which `>>> 11`
      // takes, in int32 arithmetic after one conversion instead of a subtraction, a multiplication
      // and a conversion in floating point on the way to the slot's first load: the same number of
      // instructions, a shorter dependency chain (+1.4 % median pairs/CPU-s over 8 interleaved runs
      // of bench:engine swiotlb-4k-50pct). Larger pools: see releaseSlots() for why `* 2^-11 | 0` is exact.
      const tlbLow = tlbAddr | 0;
      const slotIndex = pool.nslabs <= 0x20_0000 ? (tlbLow - (pool.start | 0)) >>> 11 : (offsetBytes * (1 / 2048)) | 0;
      return unmapSlotRunFn(mem, pool, slotIndex, tlbLow & device.minAlignMask & 2047);
    }
  }
  return unmapFromAnyPoolFn(mem, device, tlbAddr);
}

/** The static-pool release of tblUnmapSingle(): swiotlb_release_slots() and dec_used(). */
function unmapSlotRun(mem: TlbMem, pool: Pool, slotIndex: number, subOffset: number): boolean {
  mem.stats.unmaps++;
  const used = (mem.used -= releaseSlotRunFn(pool, slotIndex, subOffset));
  if (used < 0) invariant(false, `io_tlb_used went negative (${used}) releasing slot ${slotIndex}`);
  return true;
}
const unmapSlotRunFn = unmapSlotRun;

/** tblUnmapSingle() for every other case: several pools, transient pools, or an address outside the pool. */
function unmapFromAnyPool(mem: TlbMem, device: SwiotlbDevice, tlbAddr: number): boolean {
  mem.stats.unmaps++;
  const pool = findPoolFn(mem, tlbAddr);
  if (pool === undefined) {
    mem.stats.unmapsOutsidePools++;
    return false;
  }
  if (pool.transient) {
    deleteTransientPool(mem, pool);
    return true;
  }
  // dec_used()
  mem.used -= releaseSlotsFn(pool, tlbAddr, device.minAlignMask);
  if (mem.used < 0) invariant(false, `io_tlb_used went negative (${mem.used}) releasing 0x${tlbAddr.toString(16)}`);
  return true;
}
const unmapFromAnyPoolFn = unmapFromAnyPool;
