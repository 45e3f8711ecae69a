import type { IoTlbMem, KernelHooks } from '../profiles/profile.types';
import type { Overlay } from './overlay.types';

/**
 * Aneesh's dual-pool prototype (docs/kernel-dma.md §9.2 source quote: "two default swiotlb …
 * io_tlb_default_mem; io_tlb_default_shared_mem"; Robin Murphy's "additional non-shared SWIOTLB",
 * §8.4): next to the shared pool, a private default pool of the same size that is not decrypted.
 * A device that may see private memory — in a CoCo guest, one for which force_dma_unencrypted() is
 * false (accepted under device-cc-accepted) — points to the private pool, which is active, so an
 * addressing-limited trusted device bounces privately instead of failing (F5) or exposing data.
 * Combine it with device-cc-accepted; alone it changes nothing (every guest device still needs
 * shared memory).
 */
export function dualPoolHooks(base: KernelHooks): KernelHooks {
  return {
    ...base,
    ioTlbMem(env, dev): IoTlbMem | null {
      const mem = base.ioTlbMem.call(this, env, dev);
      if (
        mem === null ||
        mem.pool !== 'default' ||
        env.swiotlb.privatePoolSlots === 0 ||
        this.forceDmaUnencrypted(env, dev)
      )
        return mem;
      return { ...mem, pool: 'private-default', hasSlots: true, ccShared: false };
    },
    isSwiotlbActive(env, dev) {
      const mem = this.ioTlbMem(env, dev);
      return mem?.pool === 'private-default' ? mem.hasSlots : base.isSwiotlbActive.call(this, env, dev);
    },
  };
}

export const dualSwiotlbPoolsOverlay: Overlay = {
  id: 'dual-swiotlb-pools',
  summary: 'a private default SWIOTLB pool next to the shared one, for devices that may see private memory',
  source: 'docs/kernel-dma.md §9.2 (Aneesh Kumar K.V, 2026-02-16 prototype), §8.4 (Robin Murphy)',
  variants: [
    {
      name: null,
      description: 'a second default pool that is not decrypted, for devices with force_dma_unencrypted() false',
      hunks: [
        {
          id: 'private-default-pool',
          summary:
            'swiotlb_init(): io_tlb_default_mem (private) next to io_tlb_default_shared_mem; dev->dma_io_tlb_mem picks by force_dma_unencrypted()',
        },
      ],
    },
  ],
  notes: () => [
    'dual-swiotlb-pools is an unmerged prototype: the private pool is a second boot pool of up to the default size, not decrypted, taken from low memory (see swiotlb.private.* and memory.lowBytesConsumed).',
  ],
  apply: (profile) => ({ ...profile, hooks: dualPoolHooks(profile.hooks) }),
};
