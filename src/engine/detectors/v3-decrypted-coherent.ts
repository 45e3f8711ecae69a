import type { ViolationDetector } from './types';

/** V3 (docs/kernel-dma.md §10.1): coherent allocations are decrypted (rows C5/C9); what the driver stores there is host-visible. */
export const v3: ViolationDetector = {
  class: 'V3',
  title: 'Decrypted coherent allocation holds confidential data',
  kernelFunction: 'dma_direct_alloc',
  severity: 'by-data',
  role: 'primary',
  precedence: 50,
  matches: (f) => f.event === 'cpu-write' && (f.memory === 'coherent-pages' || f.memory === 'restricted-pool'),
  path: (f) =>
    f.memory === 'restricted-pool'
      ? 'dma_direct_alloc → swiotlb_alloc (restricted pool, decrypted)'
      : 'dma_direct_alloc → set_memory_decrypted',
  explain: (f) =>
    f.memory === 'restricted-pool'
      ? "dma_direct_alloc() carved the coherent buffer from the device's restricted DMA pool, which is decrypted: everything the driver stores there is host-visible"
      : 'dma_direct_alloc() decrypted the coherent buffer (set_memory_decrypted): everything the driver stores there is host-visible',
};
