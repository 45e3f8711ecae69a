import { isBounceMemory, mapCopyPath } from './bounce-path';
import type { ViolationDetector } from './types';

/**
 * V2 (docs/kernel-dma.md §10.1, §3.5): the map-time copy of a DMA_FROM_DEVICE buffer puts its old contents
 * (possibly stale secrets of a recycled page) into shared memory before the device writes.
 */
export const v2: ViolationDetector = {
  class: 'V2',
  title: 'Stale receive-buffer contents copied at map time',
  kernelFunction: 'swiotlb_tbl_map_single',
  severity: 'by-data',
  role: 'primary',
  precedence: 30,
  matches: (f) => f.event === 'map-copy' && isBounceMemory(f.memory) && f.dir === 'from-device',
  path: mapCopyPath,
  explain: () =>
    'swiotlb_tbl_map_single() copies the old contents of a DMA_FROM_DEVICE buffer into the shared pool before the device writes (info-leak fix ddbd89deb7d3): stale data becomes host-visible',
};
