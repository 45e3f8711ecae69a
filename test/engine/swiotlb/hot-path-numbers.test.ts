import {
  createTlbMem,
  slotList,
  slotPadSlots,
  type SwiotlbDevice,
  tblMapSingle,
  tblUnmapSingle,
} from '../../../src/engine/swiotlb/index';

// The map/unmap hot path avoids doubles and divisions (orig passed as two 32-bit halves, slot
// index by an exact multiplication by 2^-11, area by a shift, int32 low-bit arithmetic in the
// search). These cases sit on the edges of those tricks; every expectation is worked out by hand
// from kernel/dma/swiotlb.c (swiotlb_tbl_map_single, swiotlb_search_pool_area,
// swiotlb_release_slots at f398a0512cc4).

const nvme: SwiotlbDevice = { minAlignMask: 0xfff, segBoundaryMask: 0xffffffffn };
const plain: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };

describe('swiotlb hot path number handling (swiotlb_tbl_map_single / swiotlb_release_slots)', () => {
  it('keeps orig exact when its low 32 bits have bit 31 set and it lies far above 4 GiB', () => {
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 1024, nareas: 1, start: 0x80000000 } });
    const pool = mem.pools[0]!;
    // orig = 0xf_ffff_f000 + 0x800 + 0x123: low 32 bits 0xfffff923 (bit 31 set). min_align 0xfff:
    // offset = orig & 0xfff & 0x7ff = 0x123; bit 11 of orig is 1, so the slot's bit 11 must be 1
    // (iotlb_align_mask 0x800, stride 2): slot 1. tlb = 0x80000800 + 0x123.
    const orig = 0xfffff000 + 0xf00000000 + 0x923;
    const tlb = tblMapSingle(mem, nvme, 0, orig, 4096, 0);
    expect(tlb).toBe(0x80000800 + 0x123);
    expect(mem.lastSlot).toBe(1);
    // size = 4096 + 0x123 → 3 slots; each mirrors orig + i * 2048 (slot_addr(orig_addr, i)).
    expect([pool.origAddr[1], pool.origAddr[2], pool.origAddr[3]]).toEqual([orig, orig + 2048, orig + 4096]);
    expect(pool.allocSize[1]).toBe(4096);
    tblUnmapSingle(mem, nvme, tlb);
    expect(mem.used).toBe(0);
    expect(slotList(pool, 0)).toBe(128);
  });

  it('finds the slot index exactly for a pool that starts just below 2^51', () => {
    // start = 2^51 - 2^20 (slot aligned); a 2 KiB map lands in slot 0, the next in slot 1.
    // Release must compute (tlb - start) >> 11 = 1 without rounding, freeing exactly that slot.
    const start = 2 ** 51 - 2 ** 20;
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 512, nareas: 1, start } });
    const pool = mem.pools[0]!;
    const first = tblMapSingle(mem, plain, 0, 0x100000000, 2048, 0);
    const second = tblMapSingle(mem, plain, 0, 0x100000800, 2048, 0);
    expect([first, second]).toEqual([start, start + 2048]);
    tblUnmapSingle(mem, plain, second);
    expect(mem.used).toBe(1);
    // Slot 1 free again and merged with the run after it: list[1] = 127 (to the segment end), slot 0 still in use.
    expect([0, 1, 2].map((i) => slotList(pool, i))).toEqual([0, 127, 126]);
  });

  it('credits the right area when the area size is not a power of two (no shift)', () => {
    // 384 slots in 2 areas: area_nslabs 192. CPU 1 starts in area 1 (slots 192..383): the map
    // takes slot 192; release divides 192 / 192 = area 1.
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 384, nareas: 2, start: 0x80000000 } });
    const pool = mem.pools[0]!;
    const tlb = tblMapSingle(mem, plain, 1, 0x100000000, 2048, 0);
    expect(tlb).toBe(0x80000000 + 192 * 2048);
    expect(Array.from(pool.areaUsed)).toEqual([0, 1]);
    tblUnmapSingle(mem, plain, tlb);
    expect(Array.from(pool.areaUsed)).toEqual([0, 0]);
  });

  it('rejects a request above 2^31 bytes the same way as the kernel (never fits, pool untouched)', () => {
    // nr_slots(2^32) = 2^21 slots: more than the area holds, so the cheap reject fails every area.
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 1024, nareas: 1, start: 0x80000000 } });
    expect(tblMapSingle(mem, plain, 0, 0x100000000, 2 ** 32, 0)).toBe(-1);
    expect(mem.lastFailure).toBe('too-large');
    expect(mem.used).toBe(0);
    expect(mem.stats.slotsScanned).toBe(0);
  });

  it('keeps pad_slots out of the free-run counters it shares a 16-bit word with (v6.9 padded map)', () => {
    // min_align 0xffff, alloc_align 0xffff, orig low bits 0x1800: offset = 0x1800 (pad_slots 3),
    // size = 2048 + 0x1800 = 4 slots (v6.9 does not round to the alloc mask). Slot 0 is 64 KiB
    // aligned, so A takes slots 0..3 and its buffer starts in slot 3, which holds pad_slots 3.
    const wide: SwiotlbDevice = { minAlignMask: 0xffff, segBoundaryMask: 0xffffffffn };
    const mem = createTlbMem({ rules: 'v6.9', defaultPool: { nslabs: 1024, nareas: 1, start: 0x80000000 } });
    const pool = mem.pools[0]!;
    const a = tblMapSingle(mem, wide, 0, 0x100001800, 2048, 0xffff);
    expect(a).toBe(0x80000000 + 3 * 2048);
    expect([slotPadSlots(pool, 3), slotList(pool, 3)]).toEqual([3, 0]);
    // B: 1 slot whose address bits 11..15 must equal orig's (0x2000 → 0b00100): slot 4, right after A.
    const b = tblMapSingle(mem, wide, 0, 0x100002000, 2048, 0);
    expect(b).toBe(0x80000000 + 4 * 2048);
    // Freeing B merges with slots 5..127 (list[4] = 1 + 123) and stops at slot 3, which is in use:
    // its word is pad_slots << 8, not a free-run count.
    tblUnmapSingle(mem, wide, b);
    expect([slotList(pool, 3), slotPadSlots(pool, 3), slotList(pool, 4)]).toEqual([0, 3, 124]);
    // Freeing A steps back 3 slots to slot 0 (alloc_size 4 slots), clears pad_slots and merges:
    // list[3..0] = 125..128.
    tblUnmapSingle(mem, wide, a);
    expect([0, 1, 2, 3].map((i) => slotList(pool, i))).toEqual([128, 127, 126, 125]);
    expect(slotPadSlots(pool, 3)).toBe(0);
    expect(mem.used).toBe(0);
  });

  it('matches min-align bits for an orig whose low 32 bits are 0, and skips the match for orig 0', () => {
    // v6.10, min_align 0xffff, 2 KiB maps: iotlb_align_mask 0xf800, stride 32. Orig 0x2_0000_0000
    // is not 0, so the slot's address bits 11..15 must be 0 (as orig's): from the next-fit index 1,
    // slots 1..31 are rejected and slot 32 (0x80010000) is taken. Orig 0 skips the comparison
    // (`orig_addr &&`): the next map takes slot 33, right at the next-fit index.
    const wide: SwiotlbDevice = { minAlignMask: 0xffff, segBoundaryMask: 0xffffffffn };
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 1024, nareas: 1, start: 0x80000000 } });
    expect(tblMapSingle(mem, wide, 0, 0x100000000, 2048, 0)).toBe(0x80000000);
    expect(tblMapSingle(mem, wide, 0, 0x200000000, 2048, 0)).toBe(0x80000000 + 32 * 2048);
    expect(mem.stats.slotsScanned).toBe(1 + 32);
    expect(tblMapSingle(mem, wide, 0, 0, 2048, 0)).toBe(0x80000000 + 33 * 2048);
  });

  it('releases through the general path when the address is outside the only pool', () => {
    // The unmap fast path converts the address to a slot only inside the pool; an address past its
    // end is in no pool (is_swiotlb_buffer() false): counted, nothing released.
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 512, nareas: 1, start: 0x80000000 } });
    const tlb = tblMapSingle(mem, plain, 0, 0x100000000, 4096, 0);
    expect(tblUnmapSingle(mem, plain, 0x80000000 + 512 * 2048)).toBe(false);
    expect(tblUnmapSingle(mem, plain, 0x80000000 - 2048)).toBe(false);
    expect(mem.stats.unmapsOutsidePools).toBe(2);
    expect(mem.used).toBe(2);
    expect(tblUnmapSingle(mem, plain, tlb)).toBe(true);
    expect(mem.used).toBe(0);
  });
});
