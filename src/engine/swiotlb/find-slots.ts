import type { Pool, PoolGeometry } from './pool';

// Hot-path design (bench:engine swiotlb-4k-50pct; docs/engine/swiotlb.md "Hot path layout"):
// - One setup per request: searchAreas() derives the masks, stride, slot count and first-slot
//   alloc_size once and scans `areaCount` areas; poolFindSlots() (all areas from the CPU's) and
//   searchPoolArea() (one area, for the dynamic search) are thin wrappers. The static map path
//   (mapSlots() in map-single.ts) has its own copy of the setup and calls scanArea() itself, so
//   that V8's inlining budget always lets it inline the search (see there).
// - Small integers only: orig enters as its low 32 bits (int32) plus `hasOrig`, masks are int32
//   bit patterns, slot indices are SMIs; no double argument crosses a call V8 may not inline
//   (it would be boxed as a heap number), no division and no Math.ceil.
// - Rule flags are tested with `=== true`: V8 types a boolean field as "any value", and a plain
//   `if (flag)` compiles to a full ToBoolean.
// - Per-slot loops write their first slot before the loop: in each loop iteration after the one
//   V8 peels, the loop's interrupt check makes it re-check and reload every typed array.

/** Where searches add the candidate slots they examined (SwiotlbStats implements it). */
export interface SearchStats {
  slotsScanned: number;
}

/**
 * swiotlb_search_pool_area() (v6.9+) / swiotlb_area_find_slots() (v6.6): next-fit search of one
 * area for `ceil(allocSize / 2048)` free slots that satisfy alignment, min-align parity and the
 * segment boundary. Allocates them (list, alloc_size, area index and used) and returns the first
 * slot index, or -1. The io_tlb_mem counters (inc_used_and_hiwater) are the caller's.
 * `origAddr` is a double below 2^52; the kernel compares it and the slot address only under
 * `unsigned int` masks, so only its low 32 bits (and whether it is 0) matter. `slotsScanned`
 * counts candidate slots examined (including misaligned ones), added to `stats.slotsScanned`.
 */
export function searchPoolArea(
  pool: Pool,
  areaIndex: number,
  geometry: PoolGeometry,
  origAddr: number,
  allocSize: number,
  allocAlignMask: number,
  minAlignMask: number,
  stats: SearchStats,
): number {
  return searchAreas(
    pool,
    areaIndex,
    1,
    geometry,
    origAddr | 0,
    origAddr !== 0,
    allocSize,
    allocAlignMask,
    minAlignMask,
    stats,
  );
}

/**
 * swiotlb_pool_find_slots() (v6.6, and the non-dynamic swiotlb_find_slots() of every version):
 * start at the CPU's area (`cpu & (nareas - 1)`), then round-robin; the first area that succeeds wins.
 */
export function poolFindSlots(
  pool: Pool,
  cpu: number,
  geometry: PoolGeometry,
  origAddr: number,
  allocSize: number,
  allocAlignMask: number,
  minAlignMask: number,
  stats: SearchStats,
): number {
  return searchAreas(
    pool,
    cpu & (pool.nareas - 1),
    pool.nareas,
    geometry,
    origAddr | 0,
    origAddr !== 0,
    allocSize,
    allocAlignMask,
    minAlignMask,
    stats,
  );
}

/**
 * The one search of this file: prepares the request once (masks, stride, slot count, the
 * alloc_size of the first slot — the same in every area), then searches `areaCount` areas from
 * `firstArea` round robin with scanArea(). poolFindSlots() searches every area, searchPoolArea()
 * one. tblMapSingle()'s static-pool path does the same setup itself and calls scanArea() (map-single.ts).
 *
 * orig arrives as `origLow` (its low 32 bits as an int32: ToInt32 of the address) and `hasOrig`
 * (orig !== 0), small values that a call V8 does not inline passes without boxing a heap number.
 * The masks are int32 bit patterns throughout (the kernel's are `unsigned int`), so the search
 * does int32 arithmetic only.
 */
export function searchAreas(
  pool: Pool,
  firstArea: number,
  areaCount: number,
  geometry: PoolGeometry,
  origLow: number,
  hasOrig: boolean,
  allocSize: number,
  allocAlignMask: number,
  minAlignMask: number,
  stats: SearchStats,
): number {
  let alignMask: number; // what the slot address itself must clear
  let iotlbMask: number; // `iotlb_align_mask`: the bits the slot address must share with orig
  // `=== true`: V8 types a boolean field loaded from an object as "any value" and would emit a full
  // ToBoolean (false, "", undetectable, 0.0, 0n checks) for a plain `if (flag)`; this is one compare.
  if (pool.ruleSet.slotAlignment === true) {
    // v6.9+: `alloc_align_mask | 2047`, with implicit page alignment only for legacy streaming
    // callers without any mask; the min-align bits above it must match orig.
    alignMask = (allocAlignMask === 0 && minAlignMask === 0 && allocSize >= 4096 ? 4095 : allocAlignMask) | 2047;
    iotlbMask = minAlignMask & ~alignMask;
  } else {
    // v6.6: the slot is never forced aligned; `(min_align | alloc_align | (size >= PAGE_SIZE ?
    // PAGE_SIZE - 1 : 0)) & ~2047` is its only alignment rule.
    alignMask = 0;
    iotlbMask = (minAlignMask | allocAlignMask | (allocSize >= 4096 ? 4095 : 0)) & ~2047;
  }
  // get_max_slots(max(alloc_align_mask, iotlb_align_mask)), the masks compared unsigned; v6.6 has
  // no slot mask (0), so this is its `(iotlb_align_mask >> 11) + 1` too.
  const stride = ((alignMask >>> 0 > iotlbMask >>> 0 ? alignMask : iotlbMask) >>> 11) + 1;
  // `orig_addr &&`: with no original address the min-align comparison is skipped, as with a zero mask.
  const origMask = hasOrig ? iotlbMask : 0;
  const origBits = origLow & origMask;
  const nslots = slotCount(allocSize);
  // alloc_size - swiotlb_align_offset(dev, 0, orig): what the first slot records.
  const sizeFromFirst = allocSize - (origLow & minAlignMask & 2047);
  const nareas = pool.nareas;
  let area = firstArea;
  for (let tried = 0; tried < areaCount; tried++) {
    const index = scanArea(pool, area, geometry, nslots, alignMask, origMask, origBits, stride, sizeFromFirst, stats);
    if (index >= 0) return index;
    if (++area >= nareas) area = 0;
  }
  return -1;
}

/**
 * nr_slots(alloc_size) in int32 arithmetic. Larger requests are clamped to 2^30 slots, which
 * decides every comparison of the search the same way (an area holds fewer than 2^30 slots and
 * no free run exceeds 128), so the outcome and the slots scanned are unchanged.
 */
export function slotCount(allocSize: number): number {
  return allocSize < 0x7fff_f800 ? (allocSize + 2047) >>> 11 : 1 << 30;
}

/**
 * The area loop of swiotlb_search_pool_area() for a prepared request: `alignMask` and `origMask`
 * as int32 bit patterns (origMask 0 when orig is 0), `origBits = orig & origMask`, `sizeFromFirst`
 * the alloc_size stored in the first slot. Returns the first slot or -1.
 */
export function scanArea(
  pool: Pool,
  areaIndex: number,
  geometry: PoolGeometry,
  nslots: number,
  alignMask: number,
  origMask: number,
  origBits: number,
  stride: number,
  sizeFromFirst: number,
  stats: SearchStats,
): number {
  const areaSlots = pool.areaSlots;
  // Cheap reject under the area lock, before any scan.
  if (nslots > areaSlots - pool.areaUsed[areaIndex]!) return -1;
  const listPad = pool.listPad; // `list` in the low byte (Pool.listPad)
  const slotBase = areaIndex * areaSlots;
  const baseLow32 = geometry.baseLow32;
  // Skipped when no slot of the pool can cross (PoolGeometry.neverCrosses): a request of more than
  // 128 slots fails the list test below before the boundary test is reached.
  const checkBoundary = geometry.neverCrosses !== true;
  const checkAlignment = (alignMask | origMask) !== 0;
  let index = pool.areaIndex[areaIndex]!;
  let scanned = 0;
  let found = -1;
  for (let checked = 0; checked < areaSlots;) {
    const slot = slotBase + index;
    scanned++;
    if (checkAlignment) {
      // slot_addr(tbl_dma_addr, slot) & mask: only the low 32 bits matter (the masks are
      // unsigned int), so int32 wrap-around arithmetic gives exactly those bits.
      const tlbLow32 = (baseLow32 + (slot << 11)) | 0;
      if ((tlbLow32 & alignMask) !== 0 || (tlbLow32 & origMask) !== origBits) {
        // Misaligned candidates advance one slot at a time until aligned (wrap_area_index: to 0, not modulo).
        index = index + 1 >= areaSlots ? 0 : index + 1;
        checked++;
        continue;
      }
    }
    // iommu_is_span_boundary(slot, nslots, nr_slots(tbl_dma_addr), max_slots).
    if (
      (listPad[slot]! & 255) >= nslots &&
      (!checkBoundary || ((geometry.baseSlotsModMax + slot) % geometry.maxSlots) + nslots <= geometry.maxSlots)
    ) {
      found = slot;
      break;
    }
    index = index + stride >= areaSlots ? 0 : index + stride;
    checked += stride;
  }
  stats.slotsScanned += scanned;
  if (found >= 0) takeSlots(pool, areaIndex, found, index, nslots, sizeFromFirst);
  return found;
}

/**
 * The `found:` part of swiotlb_search_pool_area(): marks `nslots` slots from `found` in use with
 * their alloc_size, renumbers the free run before them, advances the area's next-fit index past
 * the block and counts the slots in the area. Kept apart so the search stays small enough for V8
 * to inline. `sizeFromFirst` is alloc_size minus swiotlb_align_offset(dev, 0, orig).
 */
function takeSlots(
  pool: Pool,
  areaIndex: number,
  found: number,
  index: number,
  nslots: number,
  sizeFromFirst: number,
): void {
  // Pool.listPad: the slots taken are free, so their pad_slots is 0 and writing 0 sets list = 0.
  const listPad = pool.listPad;
  const allocSizes = pool.allocSize;
  const end = found + nslots;
  // The first slot is written before the loop (here and in the other per-slot loops of the map
  // and unmap paths): V8 re-checks every typed array's map and reloads its length and data pointer
  // in each loop iteration after the first (the loop's interrupt check forgets what it knew), so
  // straight-line code for the first slot, plus the iteration V8 peels itself, keeps the common
  // 1–2 slot runs out of the expensive iterations (−6 % instructions per map/unmap pair on
  // the swiotlb-4k-50pct workload, counted with valgrind). nslots is 0 only for a zero-byte request.
  if (nslots > 0) {
    listPad[found] = 0;
    allocSizes[found] = sizeFromFirst;
    // The second slot too (a 4 KiB buffer's), for the same reason.
    if (nslots > 1) {
      listPad[found + 1] = 0;
      allocSizes[found + 1] = sizeFromFirst - 2048; // Int32Array stores modulo 2^32
      for (let i = found + 2; i < end; i++) {
        listPad[i] = 0;
        allocSizes[i] = sizeFromFirst - (i - found) * 2048;
      }
    }
  }
  // Renumber the free run before the block, back to the segment start: the kernel's
  // `io_tlb_offset(i) != IO_TLB_SEGSIZE - 1` stops at the slot before it (for found < 128 at the
  // unsigned index's wrap from 0, whose low 7 bits are 127), i.e. it runs while i ≥ found & ~127.
  const segmentStart = found & -128;
  let count = 0;
  for (let i = found - 1; i >= segmentStart && (listPad[i]! & 255) !== 0; i--) listPad[i] = ++count;
  const areaSlots = pool.areaSlots;
  pool.areaIndex[areaIndex] = index + nslots >= areaSlots ? 0 : index + nslots;
  pool.areaUsed[areaIndex]! += nslots;
}
