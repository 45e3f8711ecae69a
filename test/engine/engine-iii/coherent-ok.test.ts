import { explicitSpec } from '../spec/spec-builders';
import { metric, runSpec } from './run-helpers';

/**
 * Defects 3 and 4: dma_coherent_ok() (kernel/dma/direct.c) —
 *   dma_addr = force_dma_unencrypted(dev) ? phys_to_dma_unencrypted(dev, phys) : phys_to_dma(dev, phys);
 *   return dma_addr + size - 1 <= min_not_zero(dev->coherent_dma_mask, dev->bus_dma_limit);
 * is checked by __dma_direct_alloc_pages() (after the GFP_DMA32/GFP_DMA retries) and by
 * dma_alloc_from_pool() (phys_addr_ok), including for transient SWIOTLB pools (swiotlb_alloc_tlb()).
 */
const allocSpec = (
  platform: string,
  device: Record<string, unknown>,
  gfp: string,
  overlays: unknown[] = [],
  vm: Record<string, unknown> = {},
) =>
  explicitSpec([{ op: 'alloc_coherent', id: 'c1', device: 'dev0', size: 4096, gfp }], (s) => {
    s.vm = { platform, memoryMiB: 8192, vcpus: 4, ...vm };
    s.kernel['overlays'] = overlays;
    s.devices = [{ id: 'dev0', ...device }];
  });

describe('defect 3: coherent allocations fail when dma_coherent_ok() fails', () => {
  it('CCA, 48-bit IPA, 40-bit coherent mask: the shared alias (bit 47) is out of reach — blocking and atomic fail', () => {
    const device = { kind: 'virtio-net', dmaMaskBits: 40, coherentMaskBits: 40 };
    const blocking = runSpec(allocSpec('cca-realm', device, 'blocking', [], { ipaBits: 48 }));
    const atomic = runSpec(allocSpec('cca-realm', device, 'atomic', [], { ipaBits: 48 }));
    expect(metric(blocking, 'failedCoherentAllocs')).toBe(1);
    expect(metric(atomic, 'failedCoherentAllocs')).toBe(1);
    expect(atomic.failures.map((f) => f.class)).toEqual(['F7']); // every pool's memory fails phys_addr_ok
  });

  it('CCA with a 64-bit coherent mask still allocates', () => {
    expect(
      metric(
        runSpec(allocSpec('cca-realm', { kind: 'virtio-net', coherentMaskBits: 64 }, 'blocking', [], { ipaBits: 48 })),
        'failedCoherentAllocs',
      ),
    ).toBe(0);
  });

  it('SNP accepted device, 48-bit mask: aneesh keeps the C-bit (bit 51) in the handle, so the allocation fails; alexey strips it', () => {
    const device = { kind: 'tdisp-nvme', trust: 'tdisp-accepted', dmaMaskBits: 48, coherentMaskBits: 48 };
    expect(
      metric(runSpec(allocSpec('sev-snp', device, 'blocking', ['device-cc-accepted'])), 'failedCoherentAllocs'),
    ).toBe(1);
    expect(
      metric(
        runSpec(allocSpec('sev-snp', device, 'blocking', [{ name: 'device-cc-accepted', variant: 'alexey' }])),
        'failedCoherentAllocs',
      ),
    ).toBe(0);
  });
});

describe('defect 4: transient SWIOTLB pools come from an atomic pool dma_coherent_ok() accepts', () => {
  it('a PCI-default device (32-bit coherent mask, 64-bit streaming mask) draws from the dma32 atomic pool', () => {
    // SNP, dynamic SWIOTLB, a tiny default pool: the 256 KiB map needs a transient pool, which
    // swiotlb_alloc_tlb() takes with GFP_NOWAIT from dma_alloc_from_pool(..., dma_coherent_ok).
    const spec = explicitSpec(
      [
        {
          op: 'map',
          id: 'm1',
          device: 'nvme0',
          buffer: { size: 65536, phys: '0x100000000', data: 'secret' },
          dir: 'to-device',
        },
      ],
      (s) => {
        s.vm = { platform: 'sev-snp', memoryMiB: 8192, vcpus: 4 };
        s.devices = [{ id: 'nvme0', kind: 'nvme', coherentMaskBits: 32 }]; // pci_device_add() default coherent mask
        s.kernel['cmdline'] = 'swiotlb=512,1';
        s.kernel['config'] = { swiotlbDynamic: true };
        s.workload['explicit'] = [
          ...Array.from({ length: 16 }, (_, i) => ({
            op: 'map',
            id: `f${i}`,
            device: 'nvme0',
            buffer: { size: 65536, phys: `0x${(0x100000000 + i * 0x10000).toString(16)}`, data: 'public' },
            dir: 'to-device',
          })),
          {
            op: 'map',
            id: 'm1',
            device: 'nvme0',
            buffer: { size: 65536, phys: '0x180000000', data: 'secret' },
            dir: 'to-device',
          },
        ];
      },
    );
    const report = runSpec(spec);
    expect(metric(report, 'swiotlb.transientPoolsCreated')).toBeGreaterThan(0);
    // The mapping is still live: its transient pool sits in the dma32 pool; the kernel pool's chunk
    // failed phys_addr_ok() and went back (gen_pool_free()).
    expect(metric(report, 'atomicPools.dma32.usedBytes')).toBe(65536);
    expect(metric(report, 'atomicPools.kernel.usedBytes')).toBe(0);
  });
});
