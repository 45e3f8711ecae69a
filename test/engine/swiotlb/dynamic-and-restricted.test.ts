import {
  createRestrictedMem,
  createTlbMem,
  slotList,
  slotOrigAddr,
  growPool,
  type PoolBackingAllocator,
  swiotlbAlloc,
  swiotlbFree,
  type SwiotlbDevice,
  tblMapSingle,
  tblUnmapSingle,
  type TlbMem,
} from '../../../src/engine/swiotlb/index';
import type { AllocatorRules } from '../../../src/engine/swiotlb/rules';

// Hand-derived from kernel/dma/swiotlb.c: swiotlb_find_slots / swiotlb_search_area /
// swiotlb_alloc_pool / swiotlb_dyn_alloc / swiotlb_del_transient / swiotlb_alloc at
// ColinIanKing/linux-next f398a0512cc4 (v6.10) and torvalds/linux 009fbfc97b63 (v6.6).

const pci: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn, physLimit: 2 ** 32 - 1 };

interface Backing {
  allocate: PoolBackingAllocator;
  release: (start: number, bytes: number) => void;
  calls: string[];
}

/** A bump allocator: each request gets the next 16 MiB-aligned block from 0xa0000000 unless `refuse` says no. */
function backing(refuse: (bytes: number, purpose: string) => boolean = () => false): Backing {
  let next = 0xa0000000;
  const calls: string[] = [];
  return {
    calls,
    allocate(bytes, _limit, purpose) {
      calls.push(`${purpose} ${bytes}`);
      if (refuse(bytes, purpose)) return null;
      const start = next;
      next += 16 * 1024 * 1024;
      return start;
    },
    release(start, bytes) {
      calls.push(`release 0x${start.toString(16)} ${bytes}`);
    },
  };
}

function dynamicMem(
  rules: AllocatorRules,
  b: Backing,
  nslabs = 256,
  nareas = 2,
  extra: { defaultNslabs?: number; defaultNareas?: number } = {},
): TlbMem {
  return createTlbMem({
    rules,
    defaultPool: { nslabs, nareas, start: 0x80000000 },
    dynamic: true,
    backing: b,
    ...extra,
  });
}

describe('dynamic SWIOTLB: pools searched newest first', () => {
  it('searches a grown pool before the boot pool', () => {
    // swiotlb_dyn_alloc → add_mem_pool → list_add_rcu: the new pool is at the head of mem->pools.
    // default_nslabs 256 ≤ 2048 and 2 areas: the grower asks for 256 × 2 KiB at once.
    const b = backing();
    const mem = dynamicMem('v6.10', b);
    const grown = growPool(mem);

    expect(b.calls).toEqual(['grow 524288']);
    expect(grown?.nslabs).toBe(256);
    expect(mem.nslabs).toBe(512);
    expect(tblMapSingle(mem, pci, 0, 0x100000000, 2048, 0)).toBe(0xa0000000);
    expect(mem.lastPool).toBe(grown);
  });

  it('v6.10 tries the same area of every pool before the next area; v6.6 exhausts each pool first', () => {
    // Grown pool: 256 slots, 2 areas of 128. Fill its area 0 with 128 single-slot maps on CPU 0.
    // Next map on CPU 0 — v6.10 round i=0: grown area 0 (cheap reject, 128 used), then boot pool
    // area 0 → slot 0 = 0x80000000. v6.6: swiotlb_pool_find_slots on the grown pool first: area 0
    // fails, area 1 succeeds → slot 128 = 0xa0000000 + 128 × 2048 = 0xa0040000.
    for (const [rules, expected] of [
      ['v6.10', 0x80000000],
      ['v6.6', 0xa0040000],
    ] as const) {
      const mem = dynamicMem(rules, backing());
      growPool(mem);
      for (let i = 0; i < 128; i++)
        expect(tblMapSingle(mem, pci, 0, 0x100000000 + i * 4096, 2048, 0)).toBe(0xa0000000 + i * 2048);

      expect(tblMapSingle(mem, pci, 0, 0x200000000, 2048, 0)).toBe(expected);
    }
  });
});

describe('dynamic SWIOTLB: transient pools', () => {
  it('creates a transient pool of exactly nr_slots(size) when every pool is full, and deletes it on unmap', () => {
    // Boot pool 128 slots, 1 area, filled by one 256 KiB map. A 4 KiB map then misses every pool:
    // schedule_work (growRequested), swiotlb_alloc_pool(dev, 2, 2, 1, ...) → 4096 bytes; slot 0 of
    // the transient pool. total_used += 2, transient_nslabs += 2. Unmap: swiotlb_del_transient
    // subtracts the pool size from both and frees the memory.
    const b = backing();
    const mem = dynamicMem('v6.10', b, 128, 1);
    expect(tblMapSingle(mem, pci, 0, 0x100000000, 128 * 2048, 0)).toBe(0x80000000);

    const tlb = tblMapSingle(mem, pci, 0, 0x200000000, 4096, 0);

    expect(tlb).toBe(0xa0000000);
    expect(b.calls).toEqual(['transient 4096']);
    expect(mem.growRequested).toBe(true);
    expect([mem.used, mem.hiwater, mem.transientSlots, mem.nslabs]).toEqual([130, 130, 2, 128]);
    expect(mem.transientPools).toHaveLength(1);

    tblUnmapSingle(mem, pci, tlb);

    expect([mem.used, mem.hiwater, mem.transientSlots]).toEqual([128, 130, 0]);
    expect(mem.transientPools).toHaveLength(0);
    expect(b.calls).toEqual(['transient 4096', 'release 0xa0000000 4096']);
  });

  it('releases boot-pool slots while a transient pool is alive and after it is gone (TlbMem.onlyPool)', () => {
    // The unmap fast path takes the pool from TlbMem.onlyPool, which is null while a transient pool
    // exists. Boot pool 128 slots filled by two 128 KiB maps; a 4 KiB map gets a transient pool.
    const b = backing();
    const mem = dynamicMem('v6.10', b, 128, 1);
    const first = tblMapSingle(mem, pci, 0, 0x100000000, 64 * 2048, 0);
    const second = tblMapSingle(mem, pci, 0, 0x100000000, 64 * 2048, 0);
    expect(mem.onlyPool).toBe(mem.pools[0]);
    const transient = tblMapSingle(mem, pci, 0, 0x200000000, 4096, 0);
    expect(transient).toBe(0xa0000000);
    expect(mem.onlyPool).toBeNull();

    tblUnmapSingle(mem, pci, first); // boot pool, transient pool alive: released through findPool()
    expect([mem.used, slotList(mem.pools[0]!, 0)]).toEqual([66, 64]);
    tblUnmapSingle(mem, pci, transient);
    expect(mem.onlyPool).toBe(mem.pools[0]);
    tblUnmapSingle(mem, pci, second); // boot pool only again: the fast path, merged with slots 0-63
    expect([mem.used, slotList(mem.pools[0]!, 0)]).toEqual([0, 128]);
  });

  it('v6.6 has no io_tlb_transient_nslabs counter', () => {
    const mem = dynamicMem('v6.6', backing(), 128, 1);
    tblMapSingle(mem, pci, 0, 0x100000000, 128 * 2048, 0);

    expect(tblMapSingle(mem, pci, 0, 0x200000000, 4096, 0)).toBe(0xa0000000);
    expect([mem.used, mem.transientSlots]).toEqual([130, 0]);
  });

  it('fails the map when the backing memory (atomic pool) cannot provide the transient pool', () => {
    const mem = dynamicMem(
      'v6.10',
      backing(() => true),
      128,
      1,
    );
    tblMapSingle(mem, pci, 0, 0x100000000, 128 * 2048, 0);

    expect(tblMapSingle(mem, pci, 0, 0x200000000, 4096, 0)).toBe(-1);
    expect(mem.lastFailure).toBe('full');
    expect(mem.stats.transientPoolsFailed).toBe(1);
  });

  it('v6.10 rejects more than 128 slots before searching; v6.6 still tries (and frees) a transient pool', () => {
    // 300000 B = 147 slots. v6.10: `alloc_size > IO_TLB_SEGSIZE * IO_TLB_SIZE` → -1, no allocation.
    // v6.6: all pools fail, then a 147-slot transient pool is allocated; its slot 0 has list 128 < 147,
    // so the search fails and swiotlb_dyn_free returns the memory.
    const b10 = backing();
    const mem10 = dynamicMem('v6.10', b10);
    expect(tblMapSingle(mem10, pci, 0, 0x100000000, 300000, 0)).toBe(-1);
    expect(b10.calls).toEqual([]);
    expect(mem10.lastFailure).toBe('too-large');

    const b6 = backing();
    const mem6 = dynamicMem('v6.6', b6);
    expect(tblMapSingle(mem6, pci, 0, 0x100000000, 300000, 0)).toBe(-1);
    expect(b6.calls).toEqual(['transient 301056', 'release 0xa0000000 301056']);
  });
});

describe('dynamic SWIOTLB: the background grower', () => {
  it('caps a pool at 2048 slots and halves down to 512 while the buddy allocator refuses', () => {
    // default_nslabs 32768 > SLABS_PER_PAGE << MAX_PAGE_ORDER = 2048 → 2048 slots, areas
    // limit_nareas(4, 2048) = 4. Refuse 4 MiB and 2 MiB: 1024, then 512 slots (1 MiB) succeeds;
    // limit_nareas(4, 512) = 4 (512 ≥ 4 × 128).
    const b = backing((bytes) => bytes > 1024 * 1024);
    const mem = dynamicMem('v6.10', b, 32768, 4);

    const pool = growPool(mem);

    expect(b.calls).toEqual(['grow 4194304', 'grow 2097152', 'grow 1048576']);
    expect([pool?.nslabs, pool?.nareas, pool?.areaSlots]).toEqual([512, 4, 128]);
    expect(mem.pools[0]).toBe(pool);
  });

  it('limits the areas to the 128-slot segments left after halving', () => {
    // default_nareas 8: 2048 slots keep 8 areas; at 512 slots limit_nareas(8, 512) = 512 / 128 = 4.
    const b = backing((bytes) => bytes > 1024 * 1024);
    const mem = dynamicMem('v6.10', b, 32768, 8);

    expect(growPool(mem)?.nareas).toBe(4);
  });

  it('gives up below IO_TLB_MIN_SLABS and does not add a pool', () => {
    const b = backing(() => true);
    const mem = dynamicMem('v6.10', b, 32768, 4);

    expect(growPool(mem)).toBeNull();
    expect(b.calls).toEqual(['grow 4194304', 'grow 2097152', 'grow 1048576']);
    expect(mem.pools).toHaveLength(1);
    expect(mem.stats.growFailures).toBe(1);
  });
});

describe('restricted DMA pools (swiotlb_alloc)', () => {
  const dev: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };

  it('v6.10 aligns a coherent allocation to its order; v6.6 can hand out an odd slot', () => {
    // 1 MiB pool = 512 slots, one area. First a 2 KiB alloc: slot 0, index → 1.
    // v6.10, 16 KiB: get_order = 2, alloc_align_mask = 0x3fff → walk 1..7 one at a time → slot 8.
    // v6.6, 16 KiB: mask (0 | 0 | 0xfff) & ~0x7ff = 0x800, stride 2, but orig_addr 0 skips every
    // alignment check → slot 1, address 0x90000800: not even page aligned.
    const mem10 = createRestrictedMem({ rules: 'v6.10', start: 0x90000000, sizeBytes: 1 << 20 });
    expect(swiotlbAlloc(mem10, dev, 2048)).toBe(0x90000000);
    expect(swiotlbAlloc(mem10, dev, 16384)).toBe(0x90004000);
    expect(mem10.used).toBe(9);

    const mem6 = createRestrictedMem({ rules: 'v6.6', start: 0x90000000, sizeBytes: 1 << 20 });
    expect(swiotlbAlloc(mem6, dev, 2048)).toBe(0x90000000);
    expect(swiotlbAlloc(mem6, dev, 16384)).toBe(0x90000800);
  });

  it('frees a coherent allocation back into the free runs', () => {
    const mem = createRestrictedMem({ rules: 'v6.10', start: 0x90000000, sizeBytes: 1 << 20 });
    const a = swiotlbAlloc(mem, dev, 8192);
    swiotlbFree(mem, dev, a);

    expect(mem.used).toBe(0);
    expect([0, 1, 2, 3].map((i) => slotList(mem.pools[0]!, i))).toEqual([128, 127, 126, 125]);
  });

  it('leaves orig_addr invalid in slots a coherent allocation takes after a streaming map held them', () => {
    // One area of 128 slots: a 256 KiB map takes slots 0-127 (orig_addr 0x100000000 + i * 2048) and
    // wraps the area index to 0; after the unmap, a 4 KiB swiotlb_alloc takes slots 0-1, whose
    // orig_addr the kernel leaves INVALID_PHYS_ADDR (release reset it; swiotlb_alloc never sets it).
    const mem = createRestrictedMem({ rules: 'v6.10', start: 0x90000000, sizeBytes: 128 * 2048 });
    const tlb = tblMapSingle(mem, dev, 0, 0x100000000, 128 * 2048, 0);
    expect(tlb).toBe(0x90000000);
    tblUnmapSingle(mem, dev, tlb);
    expect(swiotlbAlloc(mem, dev, 4096)).toBe(0x90000000);
    expect([0, 1].map((i) => slotOrigAddr(mem.pools[0]!, i))).toEqual([Number.NaN, Number.NaN]);
  });

  it('v6.6 free-run counters ignore the end of a pool that is not a multiple of 128 slots', () => {
    // 200 slots, one area. Alloc 127 slots (slots 0..126, index → 127) and free them again
    // (used 0, list[0..127] = 128..1). Then ask for 100 slots (204800 B); the cheap reject passes.
    // v6.6: mask 0x800 / stride 2 but orig 0 → no alignment test; slot 127 has list 1, slot 129 has
    //   list 128 - 1 = 127 ≥ 100 (no clamp to the pool end) → slots 129..228, 29 past the end.
    // v6.10: get_order(204800) = 6 → alloc_align_mask 0x3ffff (128 slots): walk 127 → 128 (aligned,
    //   list min(128, 72) = 72 < 100), stride 128 → 256 ≥ 200 wraps to 0 → slot 0.
    for (const [rules, expected, past] of [
      ['v6.6', 0x90000000 + 129 * 2048, 29],
      ['v6.10', 0x90000000, 0],
    ] as const) {
      const mem = createRestrictedMem({ rules, start: 0x90000000, sizeBytes: 200 * 2048 });
      swiotlbFree(mem, dev, swiotlbAlloc(mem, dev, 127 * 2048));

      expect(swiotlbAlloc(mem, dev, 100 * 2048)).toBe(expected);
      expect(mem.stats.slotsPastPoolEnd).toBe(past);
    }
  });
});
