import type { ViolationDetector } from './types';

/** V6 (docs/kernel-dma.md §10.1): bounce slots are released without scrubbing; additive info on an exposure already reported. */
export const v6: ViolationDetector = {
  class: 'V6',
  title: 'Residue in released bounce slots',
  kernelFunction: 'swiotlb_release_slots',
  severity: 'info',
  role: 'additive',
  precedence: 100,
  matches: (f) => f.event === 'unmap-residue',
  path: () => 'swiotlb_release_slots (no scrub)',
  explain: () =>
    'swiotlb_release_slots() returns the slots without clearing them: the bounced data stays in shared memory until the slots are reused',
};
