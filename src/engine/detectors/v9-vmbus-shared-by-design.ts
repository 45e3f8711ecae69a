import type { ViolationDetector } from './types';

/**
 * V9 (docs/kernel-dma.md §10.1, §8.1, S6): on a non-confidential VMBus channel the VSP is the host, and the
 * ring buffers and GPADL buffers (netvsc's send/receive buffers) are decrypted by design — netvsc
 * payload does not go through the DMA API (no SWIOTLB copy, so no V0/V2), it is copied into the
 * GPADL buffer the host reads. Info: the channel property, not a kernel bug.
 */
export const v9: ViolationDetector = {
  class: 'V9',
  title: 'Non-confidential VMBus buffer shared by design',
  kernelFunction: 'vmbus_establish_gpadl',
  severity: 'info',
  role: 'primary',
  precedence: 60,
  matches: (f) => f.memory === 'vmbus-gpadl',
  path: () => 'netvsc → vmbus_establish_gpadl (decrypted send/receive buffer)',
  explain: (f) =>
    `the ${f.deviceKind} channel is not confidential: its send/receive buffers are GPADL buffers that vmbus_establish_gpadl() made host-visible (set_memory_decrypted), so ${f.dataClass} data placed there is readable by the host VSP`,
};
