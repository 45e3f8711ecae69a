import type { Pool } from './pool';

// Hot-path design (docs/engine/swiotlb.md "Hot path layout"): release is reached from
// tblUnmapSingle() with a slot index and in-slot offset (small integers, never the double bounce
// address), reads the victim's pad_slots and alloc_size in parallel (both usually miss the cache;
// the kernel's struct puts them in one line, the arrays here do not), and writes `list` and
// pad_slots as one 16-bit word (Pool.listPad) and nothing else per freed slot (alloc_size and
// orig_addr of a free slot are not stored, see slotAllocSize()).

/**
 * swiotlb_release_slots(): frees the allocation a bounce address belongs to and merges the freed
 * run with the free run after it (same segment) and the free slots before it (same segment).
 * Returns the slots freed; the io_tlb_mem counter (dec_used) is the caller's. Bounce memory is not
 * scrubbed (the kernel does not clear it either).
 *
 * v6.9+ steps back over `pad_slots`; v6.6 has none (the array stays 0 there, so the same code is exact).
 */
export function releaseSlots(pool: Pool, tlbAddr: number, minAlignMask: number): number {
  // (tlb_addr - offset - start) >> IO_TLB_SHIFT without a division: the difference is an integer
  // below 2^41 and multiplying by 2^-11 is exact in binary floating point, so `| 0` floors it.
  // The offset (swiotlb_align_offset(dev, 0, tlb_addr): the bounce address keeps orig's low bits
  // under min_align) only clears low bits of the same slot, so it drops out of the floor.
  return releaseSlotRun(pool, ((tlbAddr - pool.start) * (1 / 2048)) | 0, (tlbAddr >>> 0) & minAlignMask & 2047);
}

/**
 * releaseSlots() for the slot `slotIndex` holding the bounce address and `subOffset` =
 * swiotlb_align_offset(dev, 0, tlb_addr) (< 2048). Both are small integers, so a caller that is not
 * inlined with this function passes no heap-allocated double (tblUnmapSingle() forms them).
 */
export function releaseSlotRun(pool: Pool, slotIndex: number, subOffset: number): number {
  // Pool.listPad: `list` in the low byte, pad_slots in the high byte.
  const listPad = pool.listPad;
  const allocSize = pool.allocSize;
  const padSlots = listPad[slotIndex]! >> 8;
  // alloc_size of the slot itself, loaded without waiting for pad_slots: it is the first slot's
  // unless the buffer starts after padding (v6.9+ with an offset of 2 KiB or more). Both loads
  // usually miss the cache (a random live mapping); issued together, their latencies overlap
  // instead of adding up (measured: the dependent load was ~12 % of the bench's unmap+map time).
  const sizeAtSlot = allocSize[slotIndex]!;
  const index = slotIndex - padSlots;
  // nr_slots(alloc_size + offset) in int32: the first slot's alloc_size is at most 128 slots
  // (a search never hands out more), so the sum stays far below 2^31.
  const nslots = ((padSlots === 0 ? sizeAtSlot : allocSize[index]!) + subOffset + 2047) >>> 11;
  const end = index + nslots;
  // ALIGN(index + 1, IO_TLB_SEGSIZE): the end of index's segment. (v6.6 pools that are not a
  // multiple of 128 slots have metadata up to that segment end, see Pool.capacity.)
  const segmentEnd = ((index >> 7) + 1) << 7;
  let count = end < segmentEnd ? listPad[end]! & 255 : 0;
  // Each freed slot: list = ++count and pad_slots = 0 (one write). The kernel also sets orig_addr
  // invalid and alloc_size 0; here those two arrays are left as they are, because a free slot's
  // entries are never read (slotAllocSize() / slotOrigAddr() give 0 / invalid for any slot whose
  // `list` is not 0, and a map writes every slot it takes). Skipping them leaves release one
  // array to write instead of three (the victim is a random live slot: its origAddr line is
  // usually not in the cache). The last slot first, outside the loop: see takeSlots() in find-slots.ts.
  if (nslots > 0) {
    listPad[end - 1] = ++count;
    // And the second-last (a 4 KiB buffer's first) before the loop too: one loop entry and interrupt check fewer.
    if (nslots > 1) {
      listPad[end - 2] = ++count;
      for (let i = end - 3; i >= index; i--) listPad[i] = ++count;
    }
  }
  // Merge with the preceding free slots of the same segment (i ≥ index & ~127: see takeSlots()).
  const segmentStart = index & -128;
  // Two slots per iteration: each iteration's interrupt check makes V8 re-check the array's map and
  // reload its length and data pointer, and a preceding free run, when there is one, is several
  // slots long (valgrind on bench:engine swiotlb-4k-50pct: 436 → 430 instructions per pair, two runs each).
  for (let i = index - 1; i >= segmentStart && (listPad[i]! & 255) !== 0; i -= 2) {
    listPad[i] = ++count;
    if (i - 1 < segmentStart || (listPad[i - 1]! & 255) === 0) break;
    listPad[i - 1] = ++count;
  }
  // index / area_nslabs: a shift when the area size is a power of two.
  const areaShift = pool.areaShift;
  pool.areaUsed[areaShift >= 0 ? index >> areaShift : (index / pool.areaSlots) | 0]! -= nslots;
  return nslots;
}
