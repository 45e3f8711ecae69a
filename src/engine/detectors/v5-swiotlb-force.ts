import { isBounceMemory, mapCopyPath } from './bounce-path';
import type { ViolationDetector } from './types';

/** V5 (docs/kernel-dma.md §10.1): `swiotlb=force` in a CoCo guest forces private-DMA traffic through shared memory (is_swiotlb_force_bounce). */
export const v5: ViolationDetector = {
  class: 'V5',
  title: 'Bounced only because of swiotlb=force',
  kernelFunction: 'is_swiotlb_force_bounce',
  severity: 'by-data',
  role: 'primary',
  precedence: 10,
  matches: (f) =>
    (f.event === 'map-copy' || f.event === 'device-write') && isBounceMemory(f.memory) && f.forcedOnlyByCmdline,
  path: mapCopyPath,
  explain: () =>
    'swiotlb=force made is_swiotlb_force_bounce() true, so dma-direct bounced this buffer through the shared SWIOTLB pool; without it the mapping would have stayed private',
};
