import { IO_TLB_SEGSIZE } from './constants';
import type { Pool } from './pool';

/**
 * swiotlb_release_slots(): frees the allocation a bounce address belongs to and merges the freed run
 * with the free runs after and before it in the same 128-slot segment. Returns the slots freed.
 * Bounce memory is not scrubbed (the kernel does not clear it either).
 */
export function releaseSlots(pool: Pool, tlbAddr: number, minAlignMask: number): number {
  const subOffset = (tlbAddr >>> 0) & minAlignMask & 2047;
  let index = (tlbAddr - subOffset - pool.start) / 2048;
  if (pool.rules !== 'v6.6') index -= pool.padSlots[index]!;
  const nslots = Math.ceil((pool.allocSize[index]! + subOffset) / 2048);
  const area = Math.floor(index / pool.areaSlots);
  const list = pool.list;
  const segmentEnd = (Math.floor(index / IO_TLB_SEGSIZE) + 1) * IO_TLB_SEGSIZE; // ALIGN(index + 1, IO_TLB_SEGSIZE)
  let count = index + nslots < segmentEnd ? list[index + nslots]! : 0;
  for (let i = index + nslots - 1; i >= index; i--) {
    list[i] = ++count;
    pool.origAddr[i] = Number.NaN;
    pool.allocSize[i] = 0;
    pool.padSlots[i] = 0;
  }
  for (let i = index - 1; i >= 0 && (i & (IO_TLB_SEGSIZE - 1)) !== IO_TLB_SEGSIZE - 1 && list[i] !== 0; i--) list[i] = ++count;
  pool.areaUsed[area]! -= nslots;
  return nslots;
}
