import { IO_TLB_SEGSIZE, PAGE_SIZE } from './constants';
import type { Pool, PoolGeometry } from './pool';

/** What one search is asked for; numbers only, built once per map request. */
export interface SlotRequest {
  /** Original buffer address (0 = none: restricted-pool allocations skip the min-align match). */
  readonly origAddr: number;
  /** Bytes to allocate, padding included (the kernel's search `alloc_size`). */
  readonly allocSizeBytes: number;
  /** Required alignment of the bounce buffer (`alloc_align_mask`), below 2^31. */
  readonly allocAlignMask: number;
  /** The device's `min_align_mask` (at most 0xffff). */
  readonly minAlignMask: number;
}

/** Counters a search adds to (slots examined, for the cost model and the benchmark). */
export interface SearchStats {
  slotsScanned: number;
}

/** `wrap_area_index()`: next-fit wraps to 0 when it runs past the area, not modulo. */
function wrapAreaIndex(pool: Pool, index: number): number {
  return index >= pool.areaSlots ? 0 : index;
}

/**
 * swiotlb_search_pool_area() (v6.9+) / swiotlb_area_find_slots() (v6.6): next-fit search of one
 * area for `nslots` free slots that satisfy alignment, min-align parity and the segment boundary.
 * Allocates them and returns the first slot index, or -1.
 */
export function searchPoolArea(pool: Pool, areaIndex: number, geometry: PoolGeometry, request: SlotRequest, stats: SearchStats): number {
  const allocSize = request.allocSizeBytes;
  const nslots = Math.ceil(allocSize / 2048);
  const orig = request.origAddr;
  const origLow32 = orig >>> 0;
  const subOffset = origLow32 & request.minAlignMask & 2047;
  let alignMask: number;
  let iotlbMask: number;
  if (pool.rules === 'v6.6') {
    // One combined mask; only orig's bits are matched, the slot itself need not be aligned (§5.11 item 5).
    iotlbMask = request.minAlignMask | request.allocAlignMask;
    if (allocSize >= PAGE_SIZE) iotlbMask |= PAGE_SIZE - 1;
    iotlbMask &= ~2047;
    alignMask = 0;
  } else {
    alignMask = request.allocAlignMask;
    iotlbMask = request.minAlignMask;
    // Implicit page alignment kept for legacy streaming callers.
    if (alignMask === 0 && iotlbMask === 0 && allocSize >= PAGE_SIZE) alignMask = PAGE_SIZE - 1;
    alignMask |= 2047;
    iotlbMask &= ~alignMask;
  }
  const stride = (Math.max(alignMask, iotlbMask) >>> 11) + 1;
  const origBits = origLow32 & iotlbMask;

  const areaSlots = pool.areaSlots;
  if (nslots > areaSlots - pool.areaUsed[areaIndex]!) return -1; // cheap reject, before the scan
  const list = pool.list;
  const slotBase = areaIndex * areaSlots;
  const { baseLow32, baseSlots, maxSlots } = geometry;
  let index = pool.areaIndex[areaIndex]!;
  let scanned = 0;
  let found = -1;
  for (let checked = 0; checked < areaSlots; ) {
    const slot = slotBase + index;
    const tlbLow32 = (baseLow32 + slot * 2048) >>> 0;
    scanned++;
    if ((tlbLow32 & alignMask) !== 0 || (orig !== 0 && (tlbLow32 & iotlbMask) !== origBits)) {
      // Misaligned candidates advance one slot at a time until aligned.
      index = wrapAreaIndex(pool, index + 1);
      checked++;
      continue;
    }
    // iommu_is_span_boundary(): the allocation must not cross the device's segment boundary.
    if (((baseSlots + slot) % maxSlots) + nslots <= maxSlots && list[slot]! >= nslots) {
      found = slot;
      break;
    }
    index = wrapAreaIndex(pool, index + stride);
    checked += stride;
  }
  stats.slotsScanned += scanned;
  if (found < 0) return -1;

  const allocSizes = pool.allocSize;
  for (let i = 0; i < nslots; i++) {
    list[found + i] = 0;
    // unsigned int in the kernel: the last slots' values may wrap; only the first one is ever read.
    allocSizes[found + i] = (allocSize - (subOffset + i * 2048)) >>> 0;
  }
  let count = 0;
  for (let i = found - 1; i >= 0 && (i & (IO_TLB_SEGSIZE - 1)) !== IO_TLB_SEGSIZE - 1 && list[i] !== 0; i--) list[i] = ++count;
  pool.areaIndex[areaIndex] = wrapAreaIndex(pool, index + nslots);
  pool.areaUsed[areaIndex]! += nslots;
  return found;
}

/**
 * swiotlb_pool_find_slots(): start at the CPU's area (`cpu & (nareas - 1)`), then round-robin
 * through the others; the first area that succeeds wins.
 */
export function poolFindSlots(pool: Pool, cpu: number, geometry: PoolGeometry, request: SlotRequest, stats: SearchStats): number {
  const start = cpu & (pool.nareas - 1);
  let area = start;
  do {
    const index = searchPoolArea(pool, area, geometry, request, stats);
    if (index >= 0) return index;
    if (++area >= pool.nareas) area = 0;
  } while (area !== start);
  return -1;
}
