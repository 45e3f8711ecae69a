import {
  bootSizing,
  cocoSwiotlbBytes,
  limitNareas,
  parseSwiotlbParam,
  swiotlbFromCmdline,
} from '../../../src/engine/swiotlb/index';

const GiB = 1024 ** 3;
const noCmdline = { force: false, noforce: false };

describe('swiotlb= parsing (setup_io_tlb_npages)', () => {
  it('reads slots rounded up to 128, areas and force/noforce', () => {
    expect(parseSwiotlbParam('262144,4,force')).toEqual({ nslabs: 262144, nareas: 4, force: true, noforce: false });
    expect(parseSwiotlbParam('1000')).toEqual({ nslabs: 1024, force: false, noforce: false });
    expect(parseSwiotlbParam('noforce')).toEqual({ force: false, noforce: true });
    expect(parseSwiotlbParam(',8')).toEqual({ nareas: 8, force: false, noforce: false });
  });

  it('takes the last swiotlb= of a command line and ignores other words', () => {
    expect(swiotlbFromCmdline('quiet swiotlb=1024 coherent_pool=2M swiotlb=2048,2')).toEqual({
      nslabs: 2048,
      nareas: 2,
      force: false,
      noforce: false,
    });
    expect(swiotlbFromCmdline('quiet')).toEqual(noCmdline);
  });
});

describe('bootSizing (docs/kernel-dma.md §5.3)', () => {
  it('reproduces the worked example: SNP guest, 8 GiB, 16 vCPUs → 262,144 slots in 16 areas', () => {
    // 6 % of 8 GiB = 515,396,075 B → 251,659 slots → 251,776 (×128); at init 16 areas, and the slot
    // count is not a power of two, so it rounds up to 262,144 (512 MiB), 16 × 16,384 slots.
    const sizing = bootSizing({
      cmdline: noCmdline,
      archRequestedBytes: cocoSwiotlbBytes(8 * GiB),
      archWantsSwiotlb: true,
      possibleCpus: 16,
    });

    expect(cocoSwiotlbBytes(8 * GiB)).toBe(515396075);
    expect(sizing).toMatchObject({ nslabs: 262144, nareas: 16, areaSlots: 16384 });
    expect(sizing.log).toEqual([
      'SWIOTLB bounce buffer size adjusted to 491MB',
      'area num 16.',
      'SWIOTLB bounce buffer size roundup to 512MB',
    ]);
  });

  it('gives 12 GiB RAM a 1 GiB pool and clamps small and huge guests to [64 MiB, 1 GiB]', () => {
    // 12 GiB: 737 MiB → next power of two of the slot count → 524,288 slots (1 GiB).
    const at = (ramBytes: number) =>
      bootSizing({
        cmdline: noCmdline,
        archRequestedBytes: cocoSwiotlbBytes(ramBytes),
        archWantsSwiotlb: true,
        possibleCpus: 4,
      }).nslabs;

    expect(at(12 * GiB)).toBe(524288);
    expect(cocoSwiotlbBytes(512 * 1024 ** 2)).toBe(64 * 1024 ** 2);
    expect(cocoSwiotlbBytes(1024 * GiB)).toBe(GiB);
  });

  it('keeps an explicit swiotlb=<slots> instead of the CoCo auto-size, but 32768 still auto-sizes', () => {
    const explicit = bootSizing({
      cmdline: parseSwiotlbParam('8192'),
      archRequestedBytes: cocoSwiotlbBytes(8 * GiB),
      archWantsSwiotlb: true,
      possibleCpus: 4,
    });
    const defaultValue = bootSizing({
      cmdline: parseSwiotlbParam('32768'),
      archRequestedBytes: cocoSwiotlbBytes(8 * GiB),
      archWantsSwiotlb: true,
      possibleCpus: 4,
    });

    expect(explicit.nslabs).toBe(8192);
    expect(defaultValue.nslabs).toBe(262144);
  });

  it('turns swiotlb=0 into 128 × nareas slots and swiotlb=N,0 into one area (§5.11 item 2)', () => {
    expect(bootSizing({ cmdline: parseSwiotlbParam('0'), archWantsSwiotlb: true, possibleCpus: 4 })).toMatchObject({
      nslabs: 512,
      nareas: 4,
    });
    expect(
      bootSizing({ cmdline: parseSwiotlbParam('65536,0'), archWantsSwiotlb: true, possibleCpus: 16 }),
    ).toMatchObject({ nslabs: 65536, nareas: 1 });
  });

  it('rounds areas up to a power of two and the slot count with them', () => {
    // 6 vCPUs → 8 areas; the default 32,768 slots is already a power of two.
    expect(bootSizing({ cmdline: noCmdline, archWantsSwiotlb: true, possibleCpus: 6 })).toMatchObject({
      nslabs: 32768,
      nareas: 8,
      areaSlots: 4096,
    });
  });

  it('creates no pool for swiotlb=noforce, or when the arch does not want one and force is absent', () => {
    expect(bootSizing({ cmdline: parseSwiotlbParam('noforce'), archWantsSwiotlb: true, possibleCpus: 4 }).nslabs).toBe(
      0,
    );
    expect(bootSizing({ cmdline: noCmdline, archWantsSwiotlb: false, possibleCpus: 4 }).nslabs).toBe(0);
    expect(bootSizing({ cmdline: parseSwiotlbParam('force'), archWantsSwiotlb: false, possibleCpus: 4 }).nslabs).toBe(
      32768,
    );
  });

  it('halves on allocation failure down to IO_TLB_MIN_SLABS, limiting areas to the segments left', () => {
    // Only 1 MiB (512 slots) can be allocated below 4 GiB: 32768 → 16384 → … → 512; 16 areas need
    // 2048 slots, so limit_nareas gives 512 / 128 = 4.
    const sizing = bootSizing({
      cmdline: noCmdline,
      archWantsSwiotlb: true,
      possibleCpus: 16,
      canAllocate: (bytes) => bytes <= 1024 * 1024,
    });
    const nothing = bootSizing({
      cmdline: noCmdline,
      archWantsSwiotlb: true,
      possibleCpus: 16,
      canAllocate: () => false,
    });

    expect(sizing).toMatchObject({ nslabs: 512, nareas: 4, areaSlots: 128 });
    expect(sizing.log).toContain('SWIOTLB bounce buffer size adjusted 32768 -> 512 slabs');
    expect(nothing.nslabs).toBe(0);
  });

  it('limit_nareas never gives more areas than 128-slot segments', () => {
    expect(limitNareas(16, 1024)).toBe(8);
    expect(limitNareas(4, 1024)).toBe(4);
  });
});
