import fc from 'fast-check';
import {
  createTlbMem,
  type Pool,
  slotAllocSize,
  slotOrigAddr,
  type SwiotlbDevice,
  tblMapSingle,
  tblUnmapSingle,
} from '../../../src/engine/swiotlb/index';
import type { AllocatorRules } from '../../../src/engine/swiotlb/rules';

// Model-based properties (style.md T4): random map/unmap sequences against a deliberately simple
// model — a bitmap of used slots — that knows nothing about areas, next-fit or alignment. fast-check
// prints the seed and the shrunk counterexample on failure.

const START = 0x80000000;

/** Every slot's `list` (the low byte of Pool.listPad), including the entry past the slots. */
const lists = (pool: Pool): number[] => Array.from(pool.listPad, (v) => v & 255);

type Op =
  | { kind: 'map'; cpu: number; origSlot: number; origLow: number; size: number; allocAlignBits: number }
  | { kind: 'unmap'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('map' as const),
      cpu: fc.nat(7),
      origSlot: fc.nat(1 << 20),
      origLow: fc.nat(4095),
      size: fc.integer({ min: 1, max: 300_000 }),
      allocAlignBits: fc.constantFrom(0, 0, 0, 12, 13, 16),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unmap' as const), pick: fc.nat() }) },
);

const setupArb = fc.record({
  rules: fc.constantFrom<AllocatorRules>('v6.6', 'v6.9', 'v6.10'),
  segments: fc.integer({ min: 1, max: 8 }),
  areasLog2: fc.integer({ min: 0, max: 2 }),
  minAlignMask: fc.constantFrom(0, 0x7ff, 0xfff, 0x3fff, 0xffff),
  segBoundaryMask: fc.constantFrom(0xffffffffn, 0xffffn, 0x3ffffn, 0xffffffffffffffffn),
  startSlots: fc.integer({ min: 0, max: 4096 }),
});

/** The free-run counters recomputed from the bitmap: free slots up to the next used slot or segment end. */
function recount(used: boolean[]): number[] {
  const list = new Array<number>(used.length).fill(0);
  for (let i = used.length - 1; i >= 0; i--) {
    if (used[i]) continue;
    const segmentEnd = (i & 127) === 127 || i === used.length - 1;
    list[i] = segmentEnd ? 1 : list[i + 1]! + 1;
  }
  return list;
}

describe('allocator invariants under random map/unmap sequences', () => {
  it('keeps counters consistent, never hands a slot out twice, and restores the initial state', () => {
    fc.assert(
      fc.property(setupArb, fc.array(opArb, { minLength: 1, maxLength: 150 }), (setup, ops) => {
        const nslabs = setup.segments * 128;
        const nareas = 2 ** Math.floor(Math.log2(Math.min(1 << setup.areasLog2, setup.segments)));
        const mem = createTlbMem({
          rules: setup.rules,
          defaultPool: { nslabs, nareas, start: START + setup.startSlots * 2048 },
        });
        const device: SwiotlbDevice = { minAlignMask: setup.minAlignMask, segBoundaryMask: setup.segBoundaryMask };
        const pool = mem.pools[0]!;
        const initialList = lists(pool);
        const used = new Array<boolean>(nslabs).fill(false);
        const live: Array<{ tlb: number; first: number; nslots: number }> = [];
        let hiwater = 0;

        for (const op of ops) {
          if (op.kind === 'map') {
            const orig = 0x100000000 + op.origSlot * 4096 + op.origLow;
            const allocAlignMask = op.allocAlignBits === 0 ? 0 : 2 ** op.allocAlignBits - 1;
            const usedBefore = mem.used;
            const tlb = tblMapSingle(mem, device, op.cpu, orig, op.size, allocAlignMask);
            if (tlb < 0) {
              expect(mem.used).toBe(usedBefore);
              continue;
            }
            const nslots = mem.used - usedBefore;
            const first = mem.lastSlot;
            expect(nslots).toBeGreaterThan(0);
            expect(nslots).toBeLessThanOrEqual(128);
            // No allocation spans two segments, and every slot it takes was free in the model.
            expect(Math.floor(first / 128)).toBe(Math.floor((first + nslots - 1) / 128));
            for (let i = first; i < first + nslots; i++) {
              expect(used[i]).toBe(false);
              used[i] = true;
            }
            // The buffer keeps orig's bits under min_align_mask that are below 2 KiB (the sub-slot offset).
            expect((tlb >>> 0) & setup.minAlignMask & 2047).toBe((orig >>> 0) & setup.minAlignMask & 2047);
            // orig_addr per slot (swiotlb_tbl_map_single): padding slots (v6.9+: offset >> 11 of them)
            // invalid, then orig + i * 2048 — also when the slots held another mapping before
            // (release leaves Pool.origAddr as it was).
            const padSlots =
              setup.rules === 'v6.6' ? 0 : ((orig >>> 0) & setup.minAlignMask & (allocAlignMask | 2047)) >>> 11;
            for (let i = first; i < first + nslots; i++)
              expect(slotOrigAddr(pool, i)).toBe(
                i < first + padSlots ? Number.NaN : orig + (i - first - padSlots) * 2048,
              );
            live.push({ tlb, first, nslots });
            hiwater = Math.max(hiwater, mem.used);
          } else if (live.length > 0) {
            const [victim] = live.splice(op.pick % live.length, 1);
            tblUnmapSingle(mem, device, victim!.tlb);
            for (let i = victim!.first; i < victim!.first + victim!.nslots; i++) used[i] = false;
          }
          const occupied = used.filter(Boolean).length;
          expect(mem.used).toBe(occupied);
          expect(Array.from(pool.areaUsed).reduce((a, b) => a + b, 0)).toBe(occupied);
          // The slots only; the byte past them (the zeroed padding the kernel reads) must stay 0.
          expect(lists(pool).slice(0, pool.capacity)).toEqual(recount(used));
          expect(pool.listPad[pool.capacity]).toBe(0);
        }
        expect(mem.hiwater).toBe(hiwater);

        for (const { tlb } of live) tblUnmapSingle(mem, device, tlb);
        expect(mem.used).toBe(0);
        expect(lists(pool)).toEqual(initialList);
        // Release leaves Pool.allocSize as it was; the kernel's alloc_size (slotAllocSize) is 0 for every free slot.
        expect(Array.from(pool.allocSize, (_, slot) => slotAllocSize(pool, slot)).every((v) => v === 0)).toBe(true);
        expect(Array.from(pool.origAddr, (_, slot) => slotOrigAddr(pool, slot)).every((v) => Number.isNaN(v))).toBe(
          true,
        );
        expect(Array.from(pool.listPad, (v) => v >> 8).every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
