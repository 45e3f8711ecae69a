import { metric, runSpec } from './run-helpers';

/** A short TDX run: enough to boot and report. */
function tdx(vm: Record<string, unknown>, cmdline?: string): Record<string, unknown> {
  return {
    apiVersion: 'dmasim/v1',
    name: 'boot',
    vm: { platform: 'tdx', memoryMiB: 16384, vcpus: 8, ...vm },
    kernel: { profile: 'v7.2', ...(cmdline ? { cmdline } : {}) },
    devices: [{ id: 'vblk0', kind: 'virtio-blk' }],
    workload: {
      seed: 1,
      operations: 10,
      streams: [{ device: 'vblk0', type: 'block', data: 'secret', sizes: { dist: 'fixed', value: 4096 } }],
    },
  };
}
const bootLog = (report: { kernelLog: ReadonlyArray<{ op: number; text: string }> }): string[] =>
  report.kernelLog.filter((l) => l.op < 0).map((l) => l.text);

describe('defect 7: swiotlb_init_remap() halves when memblock_alloc_low() fails (kernel/dma/swiotlb.c)', () => {
  it('swiotlb=2097152 (4 GiB) on a 16 GiB guest: halved to what low memory holds, "adjusted ... slabs"', () => {
    const report = runSpec(tdx({}, 'swiotlb=2097152'));
    expect(metric(report, 'swiotlb.nslabs')).toBe(524288);
    expect(bootLog(report)).toContain('software IO TLB: SWIOTLB bounce buffer size adjusted 2097152 -> 524288 slabs');
  });

  it('8192 vCPUs: round_up_default_nslabs() to 2048 MB (no 32-bit wrap), then halving and limit_nareas()', () => {
    const report = runSpec(tdx({ vcpus: 8192 }));
    const log = bootLog(report);
    expect(log).toContain('software IO TLB: SWIOTLB bounce buffer size roundup to 2048MB');
    expect(log).toContain('software IO TLB: SWIOTLB bounce buffer size adjusted 1048576 -> 524288 slabs');
    expect(metric(report, 'swiotlb.nareas')).toBe(4096); // limit_nareas(): 524288 / IO_TLB_SEGSIZE
  });
});

describe('defect 11: mem_encrypt_setup_arch() sizes from memblock_phys_mem_size() (arch/x86/mm/mem_encrypt.c)', () => {
  it('6 % of all guest RAM, reserved memory included', () => {
    // memblock_phys_mem_size() sums memblock.memory: 16 GiB whatever is reserved; 6 % = 983 MB.
    expect(bootLog(runSpec(tdx({ reservedMiB: 4096 })))).toContain(
      'software IO TLB: SWIOTLB bounce buffer size adjusted to 983MB',
    );
  });
});

describe('defect 13: dma_atomic_pool_init() prints gen_pool_size() (kernel/dma/pool.c)', () => {
  it('a 12 GiB guest asks for 1536 KiB, atomic_pool_expand() allocates an order-9 block: prints 2048 KiB', () => {
    const log = bootLog(runSpec(tdx({ memoryMiB: 12288 })));
    expect(log).toContain('DMA: preallocated 2048 KiB GFP_KERNEL pool for atomic allocations');
    expect(log.join('\n')).not.toMatch(/1536 KiB/);
  });
});

describe('defect 8: the memory cost of the pools as metrics', () => {
  it('slot metadata = PAGE_ALIGN(nslabs * sizeof(struct io_tlb_slot)) + nareas * sizeof(struct io_tlb_area)', () => {
    const report = runSpec(tdx({}));
    // 524288 slots × 24 bytes = 12 MiB (page aligned) + 8 areas × 16 bytes.
    expect(metric(report, 'swiotlb.slotMetadataBytes')).toBe(524288 * 24 + 8 * 16);
    expect(metric(report, 'memory.decryptedBytes')).toBeGreaterThanOrEqual(524288 * 2048);
    expect(metric(report, 'memory.lowBytesConsumed')).toBeGreaterThanOrEqual(524288 * 2048);
  });

  it('reports the private pool of dual-swiotlb-pools', () => {
    const report = runSpec({
      ...tdx({ memoryMiB: 4096 }),
      kernel: { profile: 'v7.2', overlays: ['device-cc-accepted', 'dual-swiotlb-pools'] },
    });
    const slots = metric(report, 'swiotlb.private.nslabs');
    expect(slots).toBe(metric(report, 'swiotlb.nslabs'));
    expect(report.metrics['swiotlb.private.used']).toBe(0);
    expect(report.metrics['swiotlb.private.hiwater']).toBe(0);
    expect(metric(report, 'swiotlb.private.slotMetadataBytes')).toBeGreaterThan(slots * 20);
    // Private pool memory is not decrypted but is taken from low memory.
    expect(metric(report, 'memory.lowBytesConsumed')).toBeGreaterThanOrEqual(2 * slots * 2048);
  });
});
