import type { ViolationDetector } from './types';

/**
 * V10 (docs/kernel-dma.md §10.1): zero-copy TX into bounce buffers (Luigi Rizzo's unmerged patch): socket
 * data lives in shared memory from sendmsg() onward. No profile or overlay models that patch, so
 * the detector is registered but never matches.
 */
export const v10: ViolationDetector = {
  class: 'V10',
  title: 'Zero-copy TX socket data in bounce buffers (proposal, not modelled)',
  kernelFunction: 'swiotlb_tbl_map_single',
  severity: 'by-data',
  role: 'not-modelled',
  precedence: 1000,
  matches: () => false,
  path: () => 'sendmsg → (zero-copy TX into SWIOTLB, unmerged)',
  explain: () => 'with the unmerged zero-copy TX patch, sendmsg() places socket data directly in swiotlb_tbl_map_single() bounce slots, i.e. in shared memory',
};
