import { explicitSpec, mapOp } from '../spec/spec-builders';
import { runSpec } from './run-helpers';

/**
 * Defect 6: dma_kmalloc_needs_bounce() (include/linux/dma-map-ops.h), tested by
 * dma_direct_map_phys() next to dma_capable(): on arm64 a non-coherent device mapping a small
 * buffer (not a multiple of the 64-byte cache line, below 2 * ARCH_DMA_MINALIGN = 256) for
 * DMA_FROM_DEVICE/BIDIRECTIONAL is bounced. An accepted device under alexey's hunks is not forced,
 * so only this rule can send it to SWIOTLB.
 */
const map = (size: number, dir: string, coherent = false) =>
  runSpec(
    explicitSpec([mapOp('m1', { device: 'acc0', dir, buffer: { size, phys: '0x48000000', data: 'secret' } })], (s) => {
      s.vm = { platform: 'cca-realm', memoryMiB: 8192, vcpus: 4 };
      s.kernel['overlays'] = [{ name: 'device-cc-accepted', variant: 'alexey' }];
      s.devices = [{ id: 'acc0', kind: 'platform', trust: 'tdisp-accepted', coherent }];
    }),
  );

describe('defect 6: dma_kmalloc_needs_bounce()', () => {
  it('bounces a 100-byte DMA_FROM_DEVICE map of a non-coherent device', () => {
    expect(map(100, 'from-device').metrics['devices.acc0.bounces']).toBe(1);
  });

  it('maps directly what dma_kmalloc_safe() or dma_kmalloc_size_aligned() allows', () => {
    expect(map(100, 'to-device').metrics['devices.acc0.bounces']).toBe(0); // DMA_TO_DEVICE is safe
    expect(map(128, 'from-device').metrics['devices.acc0.bounces']).toBe(0); // cache-line multiple
    expect(map(300, 'from-device').metrics['devices.acc0.bounces']).toBe(0); // ≥ 256: kmalloc_size_roundup() is aligned
    expect(map(100, 'from-device', true).metrics['devices.acc0.bounces']).toBe(0); // coherent device
  });
});
