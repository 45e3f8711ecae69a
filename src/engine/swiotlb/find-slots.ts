import type { Pool, PoolGeometry } from './pool';
import type { RuleSet } from './rules';

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
 * low 32 bits. `slotsScanned` counts candidate slots examined (including misaligned ones), added
 * to `stats.slotsScanned` (a double: exact up to 2^53).
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
  const alignMask = searchAlignMask(pool.ruleSet, allocSize, allocAlignMask, minAlignMask);
  const iotlbMask = searchIotlbMask(pool.ruleSet, allocSize, allocAlignMask, minAlignMask, alignMask);
  // get_max_slots(max(alloc_align_mask, iotlb_align_mask)); v6.6 has no slot mask (0), so this is its `(iotlb_align_mask >> 11) + 1` too.
  const stride = (Math.max(alignMask, iotlbMask) >>> 11) + 1;
  // `orig_addr &&`: with no original address the min-align comparison is skipped, as with a zero mask.
  const origMask = origAddr === 0 ? 0 : iotlbMask | 0;
  return scanArea(
    pool,
    areaIndex,
    geometry,
    slotCount(allocSize),
    alignMask | 0,
    origMask,
    (origAddr >>> 0) & origMask,
    stride,
    allocSize - ((origAddr >>> 0) & minAlignMask & 2047),
    stats,
  );
}

/**
 * nr_slots(alloc_size) in int32 arithmetic. Larger requests are clamped to 2^30 slots, which
 * decides every comparison of the search the same way (an area holds fewer than 2^30 slots and
 * no free run exceeds 128), so the outcome and the slots scanned are unchanged.
 */
function slotCount(allocSize: number): number {
  return allocSize < 0x7fff_f800 ? (allocSize + 2047) >>> 11 : 1 << 30;
}

/**
 * The mask the slot address itself must clear (as an unsigned number). v6.9+: `alloc_align_mask
 * | 2047`, with implicit page alignment only for legacy streaming callers without any mask; v6.6
 * never forces the slot aligned (0).
 */
function searchAlignMask(ruleSet: RuleSet, allocSize: number, allocAlignMask: number, minAlignMask: number): number {
  if (!ruleSet.slotAlignment) return 0;
  const mask = allocAlignMask === 0 && minAlignMask === 0 && allocSize >= 4096 ? 4095 : allocAlignMask;
  return (mask | 2047) >>> 0;
}

/**
 * `iotlb_align_mask`: the bits the slot address must share with orig (as an unsigned number).
 * v6.9+: min_align_mask above the slot mask; v6.6: `(min_align | alloc_align | (size >= PAGE_SIZE
 * ? PAGE_SIZE - 1 : 0)) & ~2047`, its only alignment rule.
 */
function searchIotlbMask(
  ruleSet: RuleSet,
  allocSize: number,
  allocAlignMask: number,
  minAlignMask: number,
  alignMask: number,
): number {
  if (ruleSet.slotAlignment) return (minAlignMask & ~alignMask) >>> 0;
  return ((minAlignMask | allocAlignMask | (allocSize >= 4096 ? 4095 : 0)) & ~2047) >>> 0;
}

/**
 * The area loop of swiotlb_search_pool_area() for a prepared request: `alignMask` and `origMask`
 * as int32 bit patterns (origMask 0 when orig is 0), `origBits = orig & origMask`, `sizeFromFirst`
 * the alloc_size stored in the first slot. Returns the first slot or -1.
 */
function scanArea(
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
  const list = pool.list;
  const slotBase = areaIndex * areaSlots;
  const baseLow32 = geometry.baseLow32 | 0;
  const checkBoundary = !geometry.neverCrosses || nslots > 1 << 20;
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
      list[slot]! >= nslots &&
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
  const list = pool.list;
  const allocSizes = pool.allocSize;
  const end = found + nslots;
  for (let i = found; i < end; i++) {
    list[i] = 0;
    allocSizes[i] = sizeFromFirst - (i - found) * 2048; // Int32Array stores modulo 2^32
  }
  // Renumber the free run before the block: `(i & 127) !== 127 && i >= 0` — C's unsigned index wraps
  // at -1 to a value whose low 7 bits are 127; JS needs the explicit i >= 0.
  let count = 0;
  for (let i = found - 1; i >= 0 && (i & 127) !== 127 && list[i] !== 0; i--) list[i] = ++count;
  const areaSlots = pool.areaSlots;
  pool.areaIndex[areaIndex] = index + nslots >= areaSlots ? 0 : index + nslots;
  pool.areaUsed[areaIndex]! += nslots;
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
  // The request's masks, stride and sizes are the same in every area: prepared once (searchPoolArea() does the same per call).
  const alignMask = searchAlignMask(pool.ruleSet, allocSize, allocAlignMask, minAlignMask);
  const iotlbMask = searchIotlbMask(pool.ruleSet, allocSize, allocAlignMask, minAlignMask, alignMask);
  const stride = (Math.max(alignMask, iotlbMask) >>> 11) + 1;
  const origMask = origAddr === 0 ? 0 : iotlbMask | 0;
  const origBits = (origAddr >>> 0) & origMask;
  const nslots = slotCount(allocSize);
  const sizeFromFirst = allocSize - ((origAddr >>> 0) & minAlignMask & 2047);
  const nareas = pool.nareas;
  const start = cpu & (nareas - 1);
  let area = start;
  do {
    const index = scanArea(
      pool,
      area,
      geometry,
      nslots,
      alignMask | 0,
      origMask,
      origBits,
      stride,
      sizeFromFirst,
      stats,
    );
    if (index >= 0) return index;
    if (++area >= nareas) area = 0;
  } while (area !== start);
  return -1;
}
