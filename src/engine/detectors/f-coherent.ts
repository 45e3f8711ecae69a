import type { FailureDetector } from './types';

/** Coherent-allocation failures (docs/kernel-dma.md §10.2 F7, F13): dma_direct_alloc() and the atomic pools. */
export const coherentFailures: readonly FailureDetector[] = [
  {
    class: 'F7',
    family: 'f-coherent',
    title: 'Atomic pool exhaustion',
    kernelFunction: 'dma_alloc_from_pool',
    severity: 'high',
    logTemplate: 'DMA pool exhausted for %s / Failed to get suitable pool for %s',
    logLimit: 'every',
    explain: (rule, detail) =>
      `dma_alloc_from_pool() found no pool with room (${detail}); growth is deferred to the atomic_pool_work worker, so this non-blocking allocation returns NULL (${rule})`,
  },
  {
    class: 'F13',
    family: 'f-coherent',
    title: 'Coherent allocation not supported',
    kernelFunction: 'dma_direct_alloc',
    severity: 'high',
    logTemplate: 'coherent DMA allocations not supported on this platform.',
    logLimit: 'once',
    explain: (rule) =>
      `dma_direct_alloc() has no way to give a non-coherent device an uncached mapping (${rule}); NULL`,
  },
  {
    class: 'F16',
    family: 'f-coherent',
    title: 'Remap that may sleep in atomic context',
    kernelFunction: 'dma_common_contiguous_remap',
    severity: 'high',
    logTemplate: 'BUG: sleeping function called from invalid context at mm/vmalloc.c',
    logLimit: 'once',
    explain: (rule) =>
      `a GFP_ATOMIC allocation for a non-coherent device skipped the atomic pool (dma_direct_use_pool() false) and dma_direct_alloc() remaps the pages with vmap(), which may sleep (${rule}): a kernel bug, reported with CONFIG_DEBUG_ATOMIC_SLEEP`,
  },
];
