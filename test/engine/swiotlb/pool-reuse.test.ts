import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEngineRun, validateScenario } from '../../../src/engine/index';
import {
  createTlbMem,
  releaseTlbMem,
  slotAllocSize,
  slotOrigAddr,
  type SwiotlbDevice,
  tblMapSingle,
  type TlbMem,
} from '../../../src/engine/swiotlb/index';
import type { AllocatorRules } from '../../../src/engine/swiotlb/rules';
import { parse } from 'yaml';

// A finished run's pool slot arrays are reused by the next pool of the same capacity (pool.ts,
// spareSlotArrays). Reuse must be invisible: a reused pool starts in swiotlb_init_io_tlb_pool()'s
// state exactly like a fresh one, whatever the previous owner left in it.

const pci: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };
const nvme: SwiotlbDevice = { minAlignMask: 0xfff, segBoundaryMask: 0xffffffffn };

function memOf(nslabs: number, rules: AllocatorRules): TlbMem {
  return createTlbMem({ rules, defaultPool: { nslabs, nareas: 1, start: 0x80000000 } });
}

/**
 * Every slot as the kernel's struct io_tlb_slot reads: list and pad_slots, alloc_size and orig_addr
 * through the accessors (a free slot's alloc_size and orig_addr are 0 / invalid whatever the arrays
 * hold), over the whole capacity (v6.6 slots past nslabs read as in use, so their raw values count).
 */
function slotState(mem: TlbMem): string {
  const pool = mem.pools[0]!;
  const slots = Array.from({ length: pool.capacity }, (_, slot) => {
    const orig = slotOrigAddr(pool, slot);
    return [pool.listPad[slot], slotAllocSize(pool, slot), Number.isNaN(orig) ? 'invalid' : orig];
  });
  return JSON.stringify([slots, pool.listPad[pool.capacity]]);
}

/** Maps buffers of mixed sizes and alignment so every slot array holds something. */
function dirty(mem: TlbMem): void {
  for (let i = 0; i < 40; i++)
    tblMapSingle(mem, i % 2 ? nvme : pci, 0, 0x200000000 + i * 8192 + (i % 3) * 512, 2048 + (i % 5) * 3000, 0);
  // What a v6.6 allocation running past the pool end leaves in the slots beyond nslabs (and the guard byte).
  const pool = mem.pools[0]!;
  pool.listPad.fill(9, pool.nslabs);
}

describe('pool slot arrays reused across runs', () => {
  // 300 slots: not a multiple of 128, so the v6.6 overrun slots and the v6.7+ clamp at the pool end
  // are both in play; 256: the usual whole segments.
  it.each([
    [300, 'v6.10'],
    [300, 'v6.6'],
    [256, 'v6.10'],
    [100, 'v6.10'],
  ] as const)('a reused %i-slot %s pool starts as a fresh one does', (nslabs, rules) => {
    const fresh = slotState(memOf(nslabs, rules));
    const first = memOf(nslabs, rules);
    dirty(first);
    releaseTlbMem(first);

    const reused = memOf(nslabs, rules);

    expect(slotState(reused)).toBe(fresh);
    // The released pool is left with no slots, so a use after release cannot touch the reused arrays.
    expect(first.pools[0]!.listPad.length).toBe(0);
  });

  it('resets the slots past nslabs when a v6.6 pool of the same capacity but fewer slots reuses the arrays', () => {
    // 300 and 290 slots both round up to 384 under v6.6: slots 290-299 were real slots of the first
    // pool and read as in use in the second, so their stale values would show.
    const first = memOf(300, 'v6.6');
    dirty(first);
    for (let i = 0; i < 60; i++) tblMapSingle(first, pci, 0, 0x300000000 + i * 4096, 4096, 0);
    releaseTlbMem(first);

    const reused = memOf(290, 'v6.6');

    expect(reused.pools[0]!.capacity).toBe(384);
    expect(slotState(reused)).toBe(slotState(memOf(290, 'v6.6')));
  });

  it('releasing twice hands the arrays out once', () => {
    const first = memOf(256, 'v6.10');
    dirty(first);
    releaseTlbMem(first);
    releaseTlbMem(first);
    const a = memOf(256, 'v6.10');
    const b = memOf(256, 'v6.10');
    expect(a.pools[0]!.listPad).not.toBe(b.pools[0]!.listPad);
    dirty(a);
    expect(slotState(b)).toBe(slotState(memOf(256, 'v6.10')));
  });

  it('gives the same report for the same scenario run after other runs in one thread', () => {
    const spec = (file: string) => {
      const checked = validateScenario(parse(readFileSync(path.join(__dirname, '../../../examples', file), 'utf8')));
      if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
      return checked.spec;
    };
    const runOnce = (file: string): string => {
      const run = createEngineRun(spec(file));
      run.step(Number.MAX_SAFE_INTEGER);
      return run.finish().resultHash;
    };
    const files = ['s04-hyperv-snp-confidential-storvsc.yaml', 's19-hyperv-snp-posted-vs-full.yaml'];
    const firstPass = files.map(runOnce);
    const secondPass = files.map(runOnce);
    expect(secondPass).toEqual(firstPass);
  });

  it('returns the same report from a second finish() and refuses to step after finish()', () => {
    const checked = validateScenario(
      parse(readFileSync(path.join(__dirname, '../../../examples/s04-hyperv-snp-confidential-storvsc.yaml'), 'utf8')),
    );
    if (!checked.ok) throw new Error('invalid example');
    const run = createEngineRun(checked.spec);
    run.step(10);
    const report = run.finish();
    expect(run.finish()).toBe(report);
    expect(() => run.step(1)).toThrow(/step\(\) after finish\(\)/);
  });
});
