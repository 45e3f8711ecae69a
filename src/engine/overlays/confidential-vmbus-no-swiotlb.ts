import type { KernelHooks } from '../profiles/profile.types';
import { vmbusDeviceKinds } from '../spec/names';
import type { Overlay } from './overlay.types';

/**
 * Tianyu Lan's RFC V2/V3 (docs/kernel-dma.md §8.3): vmbus_device_register() sets
 * `device.dma_io_tlb_mem = NULL` for `co_external_memory` (Confidential VMBus) devices, so
 * is_swiotlb_force_bounce() and is_swiotlb_active() are false. L-A: maps go direct with the
 * canonical (private) address — right for the paravisor — but any map that needs bouncing fails
 * (F5); coherent allocations still decrypt (force_dma_unencrypted is still true, V3). L-B: the
 * dma_capable() CC rule plus no pool makes every private streaming map fail (F5) [derived].
 */
export function noSwiotlbHooks(base: KernelHooks): KernelHooks {
  return {
    ...base,
    ioTlbMem(env, dev) {
      if (dev.trust === 'confidential-vmbus' && vmbusDeviceKinds.includes(dev.kind)) return null;
      return base.ioTlbMem.call(this, env, dev);
    },
  };
}

export const confidentialVmbusNoSwiotlbOverlay: Overlay = {
  id: 'confidential-vmbus-no-swiotlb',
  summary: 'dma_io_tlb_mem = NULL for Confidential VMBus (co_external_memory) devices',
  source: 'docs/kernel-dma.md §8.3: Tianyu Lan RFC V2 (2026-02-10), V3 (2026-03-25)',
  variants: [
    {
      name: null,
      description: 'Confidential VMBus devices get no SWIOTLB pool',
      hunks: [
        {
          id: 'vmbus-io-tlb-mem-null',
          summary: 'vmbus_device_register(): dev->dma_io_tlb_mem = NULL for co_external_memory devices',
        },
      ],
    },
  ],
  notes: () => [
    'confidential-vmbus-no-swiotlb is an unmerged RFC; coherent allocations of those devices are still decrypted.',
  ],
  apply: (profile) => ({ ...profile, hooks: noSwiotlbHooks(profile.hooks) }),
};
