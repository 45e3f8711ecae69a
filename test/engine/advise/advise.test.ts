import { runScenario } from '../../../src/engine/index';
import { advisePools } from '../../../src/engine/advise/advise';
import { searchSmallest } from '../../../src/engine/advise/search';
import { type NormalizedScenario, type ScenarioSpec, validateScenario } from '../../../src/engine/spec/validate';

function normalized(spec: ScenarioSpec): NormalizedScenario {
  const result = validateScenario(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

/** 40 live 64 KiB bounces on one CPU: swiotlb_tbl_map_single() needs 32 slots (IO_TLB_SIZE 2 KiB) for each, 1280 in all. */
const liveMaps: ScenarioSpec = {
  apiVersion: 'dmasim/v1',
  name: 'advise-40-live',
  vm: { platform: 'sev-snp', memoryMiB: 4096, vcpus: 1 },
  kernel: { profile: 'v7.2' },
  devices: [{ id: 'net0', kind: 'virtio-net' }],
  workload: {
    explicit: Array.from({ length: 40 }, (_, i) => ({
      op: 'map' as const,
      id: `m${i}`,
      device: 'net0',
      buffer: { size: 65536, phys: `0x${(0x10000000 + i * 0x10000).toString(16)}`, data: 'secret' as const },
      dir: 'to-device' as const,
    })),
  },
};

const f1 = (spec: NormalizedScenario, cmdline: string): number =>
  runScenario(normalized({ ...spec, kernel: { ...spec.kernel, cmdline } } as ScenarioSpec)).failures.filter(
    (f) => f.class === 'F1',
  ).length;

describe('advisePools (swiotlb= by bisection over the exact engine)', () => {
  const spec = normalized(liveMaps);
  const result = advisePools(spec);
  if (!result.ok) throw new Error(result.error);
  const swiotlb = result.advice[0]!.swiotlb;

  it('finds the boundary: the advised size has no F1 and the next smaller size the kernel can have (128 slots less) fails', () => {
    // 1152 slots, not 1280: the x86 CoCo guest rounds the pool up to 4 MiB (2048 slots), so any
    // request above 1024 slots already holds all 40 mappings; 1024 is exactly 1024 slots and fails.
    expect(swiotlb.value).toBe('1152,1');
    expect(f1(spec, 'swiotlb=1152,1')).toBe(0);
    expect(f1(spec, 'swiotlb=1024,1')).toBeGreaterThan(0);
    // setup_io_tlb_npages() rounds swiotlb= up to IO_TLB_SEGSIZE: one slot below the boundary is still the boundary.
    expect(f1(spec, 'swiotlb=1151,1')).toBe(0);
  });

  it('reports memory cost and headroom at the chosen size, and that the default pool already sufficed', () => {
    expect(swiotlb.failuresAsGiven).toBe(0);
    expect(swiotlb.effectiveSize).toBe(2048);
    expect(swiotlb.decryptedBytes).toBe(2048 * 2048);
    // The boot pool comes from memblock_alloc_low(): all of it below 4 GiB.
    expect(swiotlb.lowMemoryBytes).toBe(2048 * 2048);
    expect(swiotlb.peakUsed).toBe(1280);
    expect(swiotlb.headroom).toBe(2048 - 1280);
    expect(swiotlb.search.monotone).toBe(true);
  });

  it('leaves coherent_pool alone when there is no F7', () => {
    expect(result.advice[0]!.coherentPool).toMatchObject({ value: null, failuresAsGiven: 0 });
  });
});

describe('searchSmallest', () => {
  it('finds the smallest passing size from above and below the start', () => {
    expect(searchSmallest((n) => n < 37, 8, 1000).smallest).toBe(37);
    expect(searchSmallest((n) => n < 3, 100, 1000).smallest).toBe(3);
  });
  it('says where the predicate is not monotone above the boundary', () => {
    const outcome = searchSmallest((n) => n < 10 || n === 14, 16, 100);
    expect(outcome).toMatchObject({ smallest: 10, monotone: false, nonMonotoneAt: [14] });
  });
  it('gives up at the limit and stops at the deadline', () => {
    expect(searchSmallest(() => true, 1, 64).smallest).toBeNull();
    let t = 0;
    expect(searchSmallest(() => true, 1, 1 << 30, { now: () => t++, deadlineMs: 3 })).toMatchObject({
      smallest: null,
      timedOut: true,
    });
  });
});
