import type { FailureDetector } from './types';

/** dma-direct streaming-map failures (docs/kernel-dma.md §10.2 F5, F8, F10–F12): dma_direct_map_phys(). */
export const directFailures: readonly FailureDetector[] = [
  {
    class: 'F5',
    family: 'f-direct',
    title: 'Direct address not reachable and no SWIOTLB',
    kernelFunction: 'dma_direct_map_phys',
    severity: 'high',
    logTemplate: 'DMA addr %pad+%zu overflow (mask %llx, bus limit %llx).',
    logLimit: 'once',
    explain: (rule) =>
      `dma_direct_map_phys(): dma_capable() failed and there is no SWIOTLB pool to bounce through (${rule}); DMA_MAPPING_ERROR`,
  },
  {
    class: 'F8',
    family: 'f-direct',
    title: 'swiotlb=noforce in a CoCo guest',
    kernelFunction: 'dma_direct_map_phys',
    severity: 'high',
    logTemplate: null,
    logLimit: 'none',
    explain: (rule) =>
      `dma_direct_map_phys() handed private memory to a device that can only read shared memory (${rule}): it sees ciphertext (I/O corruption), because swiotlb=noforce left nothing to bounce through`,
  },
  {
    class: 'F10',
    family: 'f-direct',
    title: 'MMIO or REQUIRE_COHERENT under forced bounce',
    kernelFunction: 'dma_direct_map_phys',
    severity: 'high',
    logTemplate: null,
    logLimit: 'none',
    explain: (rule) =>
      `dma_direct_map_phys() cannot bounce DMA_ATTR_MMIO / DMA_ATTR_REQUIRE_COHERENT memory while force_bounce is set (${rule}); DMA_MAPPING_ERROR`,
  },
  {
    class: 'F11',
    family: 'f-direct',
    title: 'P2P MMIO without CC_SHARED (L-B)',
    kernelFunction: 'dma_capable',
    severity: 'high',
    logTemplate: 'DMA addr %pad+%zu overflow (mask %llx, bus limit %llx).',
    logLimit: 'once',
    explain: (rule) =>
      `dma_capable() rejects a non-shared MMIO handle for a device that needs unencrypted DMA (${rule}); DMA_MAPPING_ERROR`,
  },
  {
    class: 'F12',
    family: 'f-direct',
    title: 'CC_SHARED on a device that is not forced to bounce (v7.1)',
    kernelFunction: 'dma_direct_map_phys',
    severity: 'high',
    logTemplate: null,
    logLimit: 'none',
    explain: (rule) =>
      `dma_direct_map_phys() rejects DMA_ATTR_CC_SHARED when the device is not forced to bounce (${rule}, the defensive check of v7.1); DMA_MAPPING_ERROR`,
  },
];
