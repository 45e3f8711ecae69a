import type { Pool } from './pool';

/**
 * swiotlb_release_slots(): frees the allocation a bounce address belongs to and merges the freed
 * run with the free run after it (same segment) and the free slots before it (same segment).
 * Returns the slots freed; the io_tlb_mem counter (dec_used) is the caller's. Bounce memory is not
 * scrubbed (the kernel does not clear it either).
 *
 * v6.9+ steps back over `pad_slots`; v6.6 has none (the array stays 0 there, so the same code is exact).
 */
export function releaseSlots(pool: Pool, tlbAddr: number, minAlignMask: number): number {
  // swiotlb_align_offset(dev, 0, tlb_addr): the bounce address keeps orig's low bits under min_align.
  const subOffset = (tlbAddr >>> 0) & minAlignMask & 2047;
  // Exact: the difference is a multiple of 2048 below 2^41; `| 0` keeps the index an int32 for the typed arrays.
  let index = ((tlbAddr - subOffset - pool.start) / 2048) | 0;
  index -= pool.padSlots[index]!;
  const nslots = Math.ceil((pool.allocSize[index]! + subOffset) / 2048) | 0;
  const area = (index / pool.areaSlots) | 0;
  const list = pool.list;
  const origAddr = pool.origAddr;
  const allocSize = pool.allocSize;
  const padSlots = pool.padSlots;
  const end = index + nslots;
  // ALIGN(index + 1, IO_TLB_SEGSIZE): the end of index's segment. (v6.6 pools that are not a
  // multiple of 128 slots have metadata up to that segment end, see Pool.capacity.)
  const segmentEnd = ((index >> 7) + 1) << 7;
  let count = end < segmentEnd ? list[end]! : 0;
  for (let i = end - 1; i >= index; i--) {
    list[i] = ++count;
    origAddr[i] = Number.NaN;
    allocSize[i] = 0;
    padSlots[i] = 0;
  }
  // Merge with the preceding free slots: `(i & 127) !== 127 && i >= 0` (C's unsigned wrap at -1).
  for (let i = index - 1; i >= 0 && (i & 127) !== 127 && list[i] !== 0; i--) list[i] = ++count;
  pool.areaUsed[area]! -= nslots;
  return nslots;
}
