import type { FailureDetector } from './types';

/** SWIOTLB failures (docs/kernel-dma.md §10.2 F1–F4, F6): swiotlb_tbl_map_single() / swiotlb_map(). */
export const swiotlbFailures: readonly FailureDetector[] = [
  {
    class: 'F1',
    family: 'f-swiotlb',
    title: 'SWIOTLB exhaustion',
    kernelFunction: 'swiotlb_tbl_map_single',
    severity: 'high',
    logTemplate: 'swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots)',
    logLimit: 'ratelimited',
    explain: (rule, detail) =>
      `swiotlb_tbl_map_single() found no free run of slots in any area or pool (${detail}; ${rule}): the driver sees DMA_MAPPING_ERROR — an I/O error or a dropped packet`,
  },
  {
    class: 'F2',
    family: 'f-swiotlb',
    title: 'Request larger than a 256 KiB segment',
    kernelFunction: 'swiotlb_find_slots',
    severity: 'high',
    logTemplate: 'swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots)',
    logLimit: 'ratelimited',
    explain: (rule) =>
      `the request plus its pre-padding needs more than IO_TLB_SEGSIZE (128) slots: swiotlb_find_slots() can never satisfy it (${rule})`,
  },
  {
    class: 'F3',
    family: 'f-swiotlb',
    title: 'Alignment unsatisfiable / fragmentation',
    kernelFunction: 'swiotlb_search_pool_area',
    severity: 'high',
    logTemplate: 'swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots)',
    logLimit: 'ratelimited',
    explain: (rule, detail) =>
      `swiotlb_search_pool_area() found free slots, but none at the alignment the request needs (min_align_mask parity / alloc alignment / segment boundary; ${detail}; ${rule})`,
  },
  {
    class: 'F4',
    family: 'f-swiotlb',
    title: 'Bounce address not reachable by the device',
    kernelFunction: 'swiotlb_map',
    severity: 'high',
    logTemplate: 'swiotlb addr %pad+%zu overflow (mask %llx, bus limit %llx).',
    logLimit: 'once',
    explain: (rule) =>
      `swiotlb_map() copied the buffer into the bounce slots, then dma_capable() rejected the bounce handle (e.g. the CCA shared bit or the SEV C-bit above the device's mask); the slots are released without copy-back (${rule})`,
  },
  {
    class: 'F6',
    family: 'f-swiotlb',
    title: 'Pool/encryption mismatch (L-B)',
    kernelFunction: 'swiotlb_tbl_map_single',
    severity: 'high',
    logTemplate: null,
    logLimit: 'none',
    explain: (rule) =>
      `swiotlb_tbl_map_single() refused the pool because its cc_shared state does not match what the device needs (${rule}); silent DMA_MAPPING_ERROR`,
  },
];
