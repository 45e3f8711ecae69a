import type { ViolationDetector } from './types';

/**
 * V7 (docs/kernel-dma.md §10.1): dma_sync_single_for_device() of part of a mapping copies only that range;
 * the rest of the bounce buffer keeps what the map-time copy put there. Additive info (the bytes
 * were already reported at map time), counted as the bytes outside the synced range.
 */
export const v7: ViolationDetector = {
  class: 'V7',
  title: 'Sub-range sync leaves map-time data exposed',
  kernelFunction: 'swiotlb_sync_single_for_device',
  severity: 'info',
  role: 'additive',
  precedence: 100,
  matches: (f) => f.event === 'sync-subrange',
  path: () => 'dma_sync_single_for_device → swiotlb_sync_single_for_device (sub-range)',
  explain: () =>
    'swiotlb_sync_single_for_device() copied only the synced range; the bytes outside it still hold what swiotlb_tbl_map_single() copied at map time',
};
