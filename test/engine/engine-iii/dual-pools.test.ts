import { runSpec, metric } from './run-helpers';

/**
 * Issue #15 defect 1. The dual-pool prototype boots its private pool the way swiotlb_init_remap()
 * (kernel/dma/swiotlb.c) boots the default one: swiotlb_memblock_alloc() → memblock_alloc_low();
 * when that fails the loop halves nslabs (ALIGN(nslabs >> 1, IO_TLB_SEGSIZE)) down to
 * IO_TLB_MIN_SLABS and prints "SWIOTLB bounce buffer size adjusted %lu -> %lu slabs". Memblock never
 * hands out the same memory twice, so the two pools never overlap and swiotlb_find_pool() maps
 * every bounce address to exactly one pool.
 */
function tdxDualPools(memoryMiB: number, overlays: unknown[]): Record<string, unknown> {
  return {
    apiVersion: 'dmasim/v1',
    name: 'dual',
    vm: { platform: 'tdx', memoryMiB, vcpus: 8 },
    kernel: { profile: 'v7.2', overlays },
    devices: [{ id: 'vblk0', kind: 'virtio-blk' }],
    workload: {
      seed: 7,
      operations: 100000,
      streams: [
        {
          device: 'vblk0',
          type: 'block',
          data: 'secret',
          direction: 'mixed',
          sizes: { dist: 'fixed', value: 65536 },
          queueDepth: 32,
        },
      ],
    },
  };
}

describe('dual-swiotlb-pools on a 16 GiB TDX guest (swiotlb_init_remap(), swiotlb_find_pool())', () => {
  const overlays = ['device-cc-accepted', 'dual-swiotlb-pools'];

  it('reports no F1 for an untrusted virtio-blk at queue depth 32, as mainline does', () => {
    const mainline = runSpec(tdxDualPools(16384, []));
    const dual = runSpec(tdxDualPools(16384, overlays));
    expect(mainline.failures.filter((f) => f.class === 'F1')).toEqual([]);
    expect(dual.failures.filter((f) => f.class === 'F1')).toEqual([]);
    // every shared bounce went back to the shared pool: at most queue depth × 32 slots are in flight
    expect(metric(dual, 'swiotlb.used')).toBeLessThanOrEqual(32 * 32);
  });

  it('halves the private pool until memblock_alloc_low() finds room and logs the kernel line', () => {
    const dual = runSpec(tdxDualPools(16384, overlays));
    const shared = metric(dual, 'swiotlb.nslabs');
    const priv = metric(dual, 'swiotlb.private.nslabs');
    expect(priv).toBeLessThan(shared);
    expect(priv % 128).toBe(0);
    expect(dual.kernelLog.map((l) => l.text)).toContain(
      `software IO TLB: SWIOTLB bounce buffer size adjusted ${shared} -> ${priv} slabs`,
    );
  });

  it('keeps the private pool at full size when low memory has room (4 GiB guest)', () => {
    const dual = runSpec(tdxDualPools(4096, overlays));
    expect(metric(dual, 'swiotlb.private.nslabs')).toBe(metric(dual, 'swiotlb.nslabs'));
  });
});
