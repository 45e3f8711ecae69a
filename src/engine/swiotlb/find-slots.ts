import type { Pool, PoolGeometry } from './pool';

/** Where searches add the candidate slots they examined (SwiotlbStats implements it). */
export interface SearchStats {
  slotsScanned: number;
}

/**
 * swiotlb_search_pool_area() (v6.9+) / swiotlb_area_find_slots() (v6.6): next-fit search of one
 * area for `ceil(allocSize / 2048)` free slots that satisfy alignment, min-align parity and the
 * segment boundary. Allocates them (list, alloc_size, area index and used) and returns the first
 * slot index, or -1. The io_tlb_mem counters (inc_used_and_hiwater) are the caller's.
 *
 * Hot path: scalars only, no allocation, no bigint. `origAddr` is a double below 2^52; the kernel
 * compares it and the slot address only under `unsigned int` masks, so both are reduced to their
 * low 32 bits (`>>> 0` is exact modulo 2^32 for any integer-valued double). `slotsScanned` counts
 * candidate slots examined (including misaligned ones), added to
 * `stats.slotsScanned` (a double: exact up to 2^53).
 */
export function searchPoolArea(pool: Pool, areaIndex: number, geometry: PoolGeometry, origAddr: number, allocSize: number, allocAlignMaskIn: number, minAlignMask: number, stats: SearchStats): number {
  // nr_slots(alloc_size) in int32 arithmetic. Larger requests are clamped to 2^30 slots, which
  // decides every comparison below the same way (an area holds fewer than 2^30 slots, and no
  // free run exceeds 128), so the search's outcome and slot counts are unchanged.
  const nslots = allocSize < 0x7fff_f800 ? (allocSize + 2047) >>> 11 : 1 << 30;
  const areaSlots = pool.areaSlots;
  // Cheap reject under the area lock, before any scan.
  if (nslots > areaSlots - pool.areaUsed[areaIndex]!) return -1;

  const origLow32 = origAddr >>> 0;
  let alignMask: number;
  let iotlbMask: number;
  let stride: number;
  if (pool.ruleSet.slotAlignment) {
    // v6.9+: implicit page alignment only for legacy streaming callers without any mask.
    alignMask = allocAlignMaskIn === 0 && minAlignMask === 0 && allocSize >= 4096 ? 4095 : allocAlignMaskIn;
    alignMask = (alignMask | 2047) >>> 0;
    iotlbMask = (minAlignMask & ~alignMask) >>> 0;
    // get_max_slots(max(alloc_align_mask, iotlb_align_mask)); masks < 2^31 here.
    stride = (Math.max(alignMask, iotlbMask) >>> 11) + 1;
  } else {
    // v6.6: one combined mask matched against orig only; the slot itself is never forced aligned.
    iotlbMask = minAlignMask | allocAlignMaskIn;
    if (allocSize >= 4096) iotlbMask |= 4095;
    iotlbMask = (iotlbMask & ~2047) >>> 0;
    alignMask = 0;
    stride = (iotlbMask >>> 11) + 1;
  }
  const matchOrig = origAddr !== 0 && iotlbMask !== 0;
  // Compared as int32 bit patterns (both sides the same low 32 bits), so no unsigned conversions in the loop.
  const origBits = origLow32 & iotlbMask;

  const list = pool.list;
  const slotBase = areaIndex * areaSlots;
  const baseLow32 = geometry.baseLow32 | 0;
  const checkBoundary = !geometry.neverCrosses || nslots > 1 << 20;
  const maxSlots = geometry.maxSlots;
  const baseMod = geometry.baseSlotsModMax;
  let index = pool.areaIndex[areaIndex]!;
  let scanned = 0;
  let found = -1;
  for (let checked = 0; checked < areaSlots; ) {
    const slot = slotBase + index;
    scanned++;
    if (alignMask !== 0 || matchOrig) {
      // slot_addr(tbl_dma_addr, slot) & mask: only the low 32 bits matter (the masks are
      // unsigned int), so int32 wrap-around arithmetic gives exactly those bits.
      const tlbLow32 = (baseLow32 + (slot << 11)) | 0;
      if ((tlbLow32 & alignMask) !== 0 || (matchOrig && (tlbLow32 & iotlbMask) !== origBits)) {
        // Misaligned candidates advance one slot at a time until aligned (wrap_area_index: to 0, not modulo).
        index = index + 1 >= areaSlots ? 0 : index + 1;
        checked++;
        continue;
      }
    }
    // iommu_is_span_boundary(slot, nslots, nr_slots(tbl_dma_addr), max_slots).
    if (list[slot]! >= nslots && (!checkBoundary || ((baseMod + slot) % maxSlots) + nslots <= maxSlots)) {
      found = slot;
      break;
    }
    index = index + stride >= areaSlots ? 0 : index + stride;
    checked += stride;
  }
  stats.slotsScanned += scanned;
  if (found < 0) return -1;

  // swiotlb_align_offset(dev, 0, orig): the sub-slot part only.
  const subOffset = origLow32 & minAlignMask & 2047;
  const allocSizes = pool.allocSize;
  const end = found + nslots;
  for (let i = found; i < end; i++) {
    list[i] = 0;
    allocSizes[i] = allocSize - subOffset - (i - found) * 2048; // Int32Array stores modulo 2^32
  }
  // Renumber the free run before the block: `(i & 127) !== 127 && i >= 0` — C's unsigned index wraps
  // at -1 to a value whose low 7 bits are 127; JS needs the explicit i >= 0.
  let count = 0;
  for (let i = found - 1; i >= 0 && (i & 127) !== 127 && list[i] !== 0; i--) list[i] = ++count;
  pool.areaIndex[areaIndex] = index + nslots >= areaSlots ? 0 : index + nslots;
  pool.areaUsed[areaIndex]! += nslots;
  return found;
}

/**
 * swiotlb_pool_find_slots() (v6.6, and the non-dynamic swiotlb_find_slots() of every version):
 * start at the CPU's area (`cpu & (nareas - 1)`), then round-robin; the first area that succeeds wins.
 */
export function poolFindSlots(pool: Pool, cpu: number, geometry: PoolGeometry, origAddr: number, allocSize: number, allocAlignMask: number, minAlignMask: number, stats: SearchStats): number {
  const nareas = pool.nareas;
  const start = cpu & (nareas - 1);
  let area = start;
  do {
    const index = searchPoolArea(pool, area, geometry, origAddr, allocSize, allocAlignMask, minAlignMask, stats);
    if (index >= 0) return index;
    if (++area >= nareas) area = 0;
  } while (area !== start);
  return -1;
}
