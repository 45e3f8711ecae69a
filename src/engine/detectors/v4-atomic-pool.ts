import type { ViolationDetector } from './types';

/** V4 (docs/kernel-dma.md §10.1, §6): atomic-pool buffers are permanently shared and keep their contents until reallocated. */
export const v4: ViolationDetector = {
  class: 'V4',
  title: 'Atomic-pool buffer holds confidential data',
  kernelFunction: 'dma_alloc_from_pool',
  severity: 'by-data',
  role: 'primary',
  precedence: 40,
  matches: (f) => f.event === 'cpu-write' && f.memory === 'atomic-pool',
  path: () => 'dma_direct_alloc → dma_direct_alloc_from_pool (shared atomic pool)',
  explain: () =>
    'the coherent buffer came from the atomic DMA pool via dma_alloc_from_pool(), which is permanently shared; what the driver stores there is host-visible',
};
