import {
  createTlbMem,
  slotList,
  swiotlbAlloc,
  type SwiotlbDevice,
  tblMapSingle,
  tblUnmapSingle,
  type TlbMem,
} from '../../../src/engine/swiotlb/index';
import type { AllocatorRules } from '../../../src/engine/swiotlb/rules';

// Hand-derived expectations, each worked out from kernel/dma/swiotlb.c (swiotlb_search_pool_area,
// swiotlb_tbl_map_single, swiotlb_release_slots at f398a0512cc4 for v6.9+/v6.10; swiotlb_area_find_slots
// at 009fbfc97b63 for v6.6), not from running the model. Pools start at 0x80000000 unless stated.

const START = 0x80000000;
const pci: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };
const nvme: SwiotlbDevice = { minAlignMask: 0xfff, segBoundaryMask: 0xffffffffn };

function pool(nslabs: number, nareas = 1, rules: AllocatorRules = 'v6.10', start = START): TlbMem {
  return createTlbMem({ rules, defaultPool: { nslabs, nareas, start } });
}

/** Maps `count` single-slot (2 KiB) buffers on CPU 0; returns their bounce addresses. */
function fillSingles(mem: TlbMem, count: number, device = pci): number[] {
  return Array.from({ length: count }, (_, i) => tblMapSingle(mem, device, 0, 0x200000000 + i * 4096, 2048, 0));
}

describe('swiotlb slot search (hand-derived)', () => {
  it('allocates at the next-fit index and skips a misaligned slot for a page-sized map', () => {
    // 4 KiB, no masks: implicit PAGE_SIZE-1 alignment, stride 2. First at slot 0, index → 2.
    // Then 4 KiB at slot 2; a 2 KiB map (slot-aligned only) at slot 4; index → 5, and slot 5
    // (0x80002800) is not page-aligned, so the next 4 KiB walks one slot to 6 (0x80003000).
    const mem = pool(1024);

    const a = tblMapSingle(mem, pci, 0, 0x100000000, 4096, 0);
    const b = tblMapSingle(mem, pci, 0, 0x100001000, 4096, 0);
    const c = tblMapSingle(mem, pci, 0, 0x100002000, 2048, 0);
    const d = tblMapSingle(mem, pci, 0, 0x100003000, 4096, 0);

    expect([a, b, c, d]).toEqual([0x80000000, 0x80001000, 0x80002000, 0x80003000]);
    expect(mem.lastSlot).toBe(6);
    expect(mem.used).toBe(7);
  });

  it('frees an allocation that ends at the last slot of a pool that is not a multiple of 128 slots', () => {
    // v6.10, 200 slots: list[128..199] = min(128 - (i & 127), 200 - i) = 72..1. Slots 0..127 are
    // taken by singles, a 72-slot map (147,456 B, page-aligned) takes 128..199. On release,
    // swiotlb_release_slots() reads slots[index + nslots] = slots[200] because 200 < ALIGN(129, 128)
    // = 256: one past the array. The kernel's array is PAGE_ALIGNed zeroed memory, so that read is 0
    // and the freed run becomes 72..1 again; the same map must then succeed at the same slot.
    const mem = pool(200);
    fillSingles(mem, 128);
    const big = tblMapSingle(mem, pci, 0, 0x300000000, 72 * 2048, 0);
    expect(big).toBe(START + 128 * 2048);
    tblUnmapSingle(mem, pci, big);
    expect(mem.used).toBe(128);
    expect(tblMapSingle(mem, pci, 0, 0x300000000, 72 * 2048, 0)).toBe(START + 128 * 2048);
  });

  it('wraps the next-fit index to zero, not modulo, when an allocation runs past the area end', () => {
    // nslabs 384 in 2 areas: area 0 has 192 slots. Fill slots 0..189 and free 0, 2, 4, 6 (so the
    // cheap reject passes: 4 <= 192 - 186). The next-fit index is 190; an 8 KiB map (4 slots,
    // page-aligned) takes 190..193 (slot 190 = 0x8005f000 is aligned; list[190] = 66 because the
    // segment runs to 255). The index becomes wrap_area_index(190 + 4 = 194) = 0; modulo would
    // give 2. So the next 2 KiB map must land on slot 0, not slot 2.
    const mem = pool(384, 2);
    const singles = fillSingles(mem, 190);
    for (const i of [0, 2, 4, 6]) tblUnmapSingle(mem, pci, singles[i]!);
    const big = tblMapSingle(mem, pci, 0, 0x300000000, 8192, 0);

    const next = tblMapSingle(mem, pci, 0, 0x300010000, 2048, 0);

    expect(big).toBe(START + 190 * 2048);
    expect(next).toBe(START);
  });

  it('never lets an allocation span a 128-slot segment', () => {
    // Slots 0..125 used; an 8 KiB map at index 126 sees list[126] = 2 < 4 and steps by the stride (2)
    // to slot 128, the start of the next segment.
    const mem = pool(1024);
    fillSingles(mem, 126);

    const tlb = tblMapSingle(mem, pci, 0, 0x300000000, 8192, 0);

    expect(tlb).toBe(START + 128 * 2048);
  });

  it('keeps NVMe parity: bit 11 of the slot equals bit 11 of the original address', () => {
    // min_align_mask 0xfff: iotlb_align_mask = 0xfff & ~0x7ff = 0x800, stride 2. orig 0x100000800 has
    // bit 11 set, so slot 0 (bit 11 clear) is skipped and slot 1 (0x80000800) is taken; no sub-slot offset.
    const mem = pool(1024);

    const tlb = tblMapSingle(mem, nvme, 0, 0x100000800, 4096, 0);
    const even = tblMapSingle(mem, nvme, 0, 0x100002000, 4096, 0);

    expect(tlb).toBe(0x80000800);
    expect(tlb & 0x800).toBe(0x100000800 & 0x800);
    // Next-fit index is 3 (1 + 2 slots); slot 3 has bit 11 set, orig's is clear: one-slot walk to slot 4.
    expect(even).toBe(START + 4 * 2048);
  });

  it('preserves the sub-slot offset of the original under min_align_mask', () => {
    // orig low bits 0x234: offset = 0x234 & 0xfff & 0x7ff = 0x234, search size 4096 + 0x234 = 3 slots.
    const mem = pool(1024);

    const tlb = tblMapSingle(mem, nvme, 0, 0x100000234, 4096, 0);

    expect(tlb).toBe(START + 0x234);
    expect(mem.used).toBe(3);
  });

  it('pre-pads with whole slots when the offset exceeds a slot (v6.10), sized to alloc_align_mask + 1', () => {
    // min_align 0xffff, alloc_align 0xffff, orig low bits 0x3800: offset = 0x3800 → pad_slots 7,
    // sub-slot 0; size = ALIGN(4096 + 0x3800, 0x10000) = 64 KiB = 32 slots, stride 32 → slot 0.
    // The buffer starts at slot 7: tlb 0x80003800, keeping orig's low 16 bits.
    const mem = pool(1024);
    const device: SwiotlbDevice = { minAlignMask: 0xffff, segBoundaryMask: 0xffffffffn };

    const tlb = tblMapSingle(mem, device, 0, 0x100003800, 4096, 0xffff);

    expect(mem.lastSlot).toBe(0);
    expect(tlb).toBe(0x80003800);
    expect(mem.used).toBe(32);
    tblUnmapSingle(mem, device, tlb);
    expect(mem.used).toBe(0);
    expect(slotList(mem.pools[0]!, 0)).toBe(128);
  });

  it('v6.9 pads like v6.10 but sizes by alloc_size + offset (9 slots instead of 32)', () => {
    // v6.9 (af133562d5af) searched alloc_size + offset = 4096 + 0x3800 = 9 slots with the same
    // alignment, so the same tlb with 9 slots in use.
    const mem = pool(1024, 1, 'v6.9');
    const device: SwiotlbDevice = { minAlignMask: 0xffff, segBoundaryMask: 0xffffffffn };

    const tlb = tblMapSingle(mem, device, 0, 0x100003800, 4096, 0xffff);

    expect(tlb).toBe(0x80003800);
    expect(mem.used).toBe(9);
  });

  it('v6.6 has no padding: it matches orig under one mask and walks to the matching slot', () => {
    // v6.6: offset = orig & 0xffff & 0x7ff = 0; iotlb_align_mask = (0xffff | 0xffff | 0xfff) & ~0x7ff
    // = 0xf800; slot addresses must equal orig (0x...3800) under 0xf800: slot 7. Two slots used.
    const mem = pool(1024, 1, 'v6.6');
    const device: SwiotlbDevice = { minAlignMask: 0xffff, segBoundaryMask: 0xffffffffn };

    const tlb = tblMapSingle(mem, device, 0, 0x100003800, 4096, 0xffff);

    expect(tlb).toBe(0x80003800);
    expect(mem.lastSlot).toBe(7);
    expect(mem.used).toBe(2);
  });

  it('fails a 256 KiB NVMe map whose offset pushes it past 128 slots, and fits one without offset', () => {
    // orig low bits 0x200: 262144 + 0x200 bytes = 129 slots > IO_TLB_SEGSIZE: no segment can hold it.
    // Page-aligned orig: exactly 128 slots fit at slot 0 (bit 11 clear, list[0] = 128).
    const mem = pool(1024);

    const tooLarge = tblMapSingle(mem, nvme, 0, 0x100000200, 262144, 0);
    const failure = mem.lastFailure;
    const fits = tblMapSingle(mem, nvme, 0, 0x100000000, 262144, 0);

    expect(tooLarge).toBe(-1);
    expect(failure).toBe('too-large');
    expect(fits).toBe(START);
  });

  it('fails when only fragmented space remains, and says so', () => {
    // Every slot mapped, then every other slot freed: 128 free slots, none adjacent.
    const mem = pool(256);
    const singles = fillSingles(mem, 256);
    singles.forEach((tlb, i) => i % 2 === 0 && tblUnmapSingle(mem, pci, tlb));

    const tlb = tblMapSingle(mem, pci, 0, 0x300000000, 4096, 0);

    expect(tlb).toBe(-1);
    expect(mem.lastFailure).toBe('fragmented');
    expect(mem.stats.failures.fragmented).toBe(1);
  });

  it('reports a full pool when fewer slots are free than asked', () => {
    const mem = pool(256);
    fillSingles(mem, 256);

    expect(tblMapSingle(mem, pci, 0, 0x300000000, 2048, 0)).toBe(-1);
    expect(mem.lastFailure).toBe('full');
  });

  it('merges released slots with the free runs after and before them', () => {
    // A, B, C at slots 0, 1, 2; slots 3..127 free (list[3] = 125).
    // Free B: list[1] = 1 (C still used). Free C: list[2] = 1 + 125 = 126, then slot 1 becomes 127.
    // Free A: list[0] = 1 + 127 = 128: the whole segment is one run again.
    const mem = pool(128);
    const [a, b, c] = fillSingles(mem, 3);
    const list = (i: number): number => slotList(mem.pools[0]!, i);

    tblUnmapSingle(mem, pci, b!);
    expect([list(0), list(1), list(2), list(3)]).toEqual([0, 1, 0, 125]);
    tblUnmapSingle(mem, pci, c!);
    expect([list(0), list(1), list(2), list(3)]).toEqual([0, 127, 126, 125]);
    tblUnmapSingle(mem, pci, a!);
    expect([list(0), list(1), list(2)]).toEqual([128, 127, 126]);
    expect(mem.used).toBe(0);
    expect(mem.hiwater).toBe(3);
  });

  it('handles a ULONG_MAX segment boundary (devices without dma_parms) exactly', () => {
    // max_slots = 2^53 and tbl_dma_addr = pool start: nothing can cross. 32-bit arithmetic would make
    // max_slots 1 and fail every map (docs/kernel-dma.md §5.11 item 4).
    const mem = pool(1024);

    expect(tblMapSingle(mem, { minAlignMask: 0, segBoundaryMask: 0xffffffffffffffffn }, 0, 0x100000000, 65536, 0)).toBe(
      START,
    );
  });

  it('does not cross a 4 GiB segment boundary in a pool that straddles it', () => {
    // Pool at 0xfffe0000 (64 slots below 4 GiB). nr_slots(tbl_dma_addr) = 2^21 - 64, max_slots 2^21.
    // With slots 0..61 used, an 8 KiB map at slot 62 (0xfffff000, aligned, list 66) would span
    // 0x100000000: iommu_is_span_boundary() rejects it; stride 2 → slot 64 = 0x100000000.
    const mem = pool(256, 1, 'v6.10', 0xfffe0000);
    fillSingles(mem, 62);

    const tlb = tblMapSingle(mem, pci, 0, 0x300000000, 8192, 0);

    expect(tlb).toBe(0x100000000);
  });

  it("starts in the CPU's area and falls back round-robin", () => {
    // 4 areas of 256 slots: CPU 6 starts in area 6 & 3 = 2 (slot 512). With area 2 full, CPU 6 goes to area 3.
    const mem = pool(1024, 4);

    const first = tblMapSingle(mem, pci, 6, 0x100000000, 2048, 0);
    for (let i = 1; i < 256; i++) tblMapSingle(mem, pci, 2, 0x100000000 + i * 4096, 2048, 0);
    const spill = tblMapSingle(mem, pci, 6, 0x200000000, 2048, 0);

    expect(first).toBe(START + 512 * 2048);
    expect(spill).toBe(START + 768 * 2048);
  });

  it('rejects cheaply when the area has fewer free slots than asked, without scanning', () => {
    const mem = pool(256);
    fillSingles(mem, 255);
    const scanned = mem.stats.slotsScanned;

    expect(tblMapSingle(mem, pci, 0, 0x300000000, 4096, 0)).toBe(-1);
    expect(mem.stats.slotsScanned).toBe(scanned);
  });
});

describe('restricted pool allocations (swiotlb_alloc)', () => {
  it('v6.6 can return an odd, non-page-aligned slot; v6.9+ aligns to the allocation order', () => {
    // After a 2 KiB allocation the next-fit index is 1. v6.6 passes alloc_align_mask 0 and orig 0
    // (no alignment check at all): a 4 KiB allocation lands on slot 1 (0x80000800). v6.9+ passes
    // 2^(0 + PAGE_SHIFT) - 1 = 0xfff and the slot must be page-aligned: slot 2 (0x80001000).
    const results = (['v6.6', 'v6.10'] as const).map((rules) => {
      const mem = createTlbMem({ rules, defaultPool: { nslabs: 128, nareas: 1, start: START }, forAlloc: true });
      swiotlbAlloc(mem, pci, 2048);
      return swiotlbAlloc(mem, pci, 4096);
    });

    expect(results).toEqual([START + 2048, START + 4096]);
  });
});
