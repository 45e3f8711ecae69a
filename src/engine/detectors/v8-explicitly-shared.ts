import type { ViolationDetector } from './types';

/**
 * V8 (docs/kernel-dma.md §10.1, rows A3/B3): a buffer mapped with DMA_ATTR_CC_SHARED (e.g. from the
 * `system_cc_shared` dma-buf heap) is host-visible by design; flagged when the workload says it
 * holds confidential data. Info: the memory was shared before the DMA API saw it.
 */
export const v8: ViolationDetector = {
  class: 'V8',
  title: 'Explicitly shared (CC_SHARED) buffer holds confidential data',
  kernelFunction: 'dma_direct_map_phys',
  severity: 'info',
  role: 'primary',
  precedence: 60,
  matches: (f) => f.event === 'map-direct' && f.memory === 'cc-shared-buffer',
  path: () => 'dma_direct_map_phys (DMA_ATTR_CC_SHARED) → phys_to_dma_unencrypted',
  explain: (f) =>
    `dma_direct_map_phys() mapped a DMA_ATTR_CC_SHARED buffer directly with its unencrypted (shared) handle (${f.rule}): the page is decrypted memory, readable by the host, yet the workload says it holds ${f.dataClass} data`,
};
