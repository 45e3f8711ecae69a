import type { FailureDetector } from './types';

/** Device-level failures (docs/kernel-dma.md §10.2 F14): probe-time refusals. */
export const deviceFailures: readonly FailureDetector[] = [
  {
    class: 'F14',
    family: 'f-device',
    title: 'virtio device without VIRTIO_F_ACCESS_PLATFORM in a CoCo guest',
    kernelFunction: 'virtio_require_restricted_mem_acc',
    severity: 'high',
    logTemplate: 'device must provide VIRTIO_F_ACCESS_PLATFORM',
    logLimit: 'every',
    explain: (rule) =>
      `virtio_require_restricted_mem_acc() refused the device at probe because it did not negotiate VIRTIO_F_ACCESS_PLATFORM (${rule}); every DMA call for it fails`,
  },
];
