import type { IoTlbMem, KernelHooks } from './profile.types';

/**
 * The mainline predicates (no proposal applied), docs/kernel-dma.md §2.1, §3, §5.10, §14.2 items 4–5:
 * - every device points to the default pool unless it has a restricted-dma-pool;
 * - `force_bounce` = SWIOTLB_FORCE from the arch (≤ v7.2 CoCo guests) or `swiotlb=force`; a
 *   restricted pool always forces; `swiotlb=noforce` means no pool and no force;
 * - is_swiotlb_force_bounce / is_swiotlb_active are `mem && …`;
 * - dma_direct_use_pool = !blocking && !is_swiotlb_for_alloc.
 */
export const mainlineHooks: KernelHooks = {
  forceDmaUnencrypted: (env, dev) => env.platform.forceDmaUnencrypted(dev, env.platformContext),
  ioTlbMem: (env, dev): IoTlbMem => {
    const poolShared = env.platform.hasMemEncryption;
    if (dev.hasRestrictedPool)
      return {
        pool: 'restricted',
        forceBounce: true,
        forceSource: 'restricted',
        hasSlots: true,
        forAlloc: true,
        ccShared: poolShared,
      };
    const { swiotlb } = env;
    const forceBounce = !swiotlb.noforce && (swiotlb.archForceBounce || swiotlb.cmdlineForceBounce);
    return {
      pool: 'default',
      forceBounce,
      // `swiotlb=force` is the "real" force_bounce; SWIOTLB_FORCE from the arch is what Dan's variant turns into bounce_unaccepted.
      forceSource: !forceBounce ? null : swiotlb.cmdlineForceBounce ? 'cmdline' : 'arch',
      hasSlots: swiotlb.defaultPoolSlots > 0,
      forAlloc: false,
      ccShared: poolShared,
    };
  },
  isSwiotlbForceBounce(env, dev) {
    return this.ioTlbMem(env, dev)?.forceBounce ?? false;
  },
  isSwiotlbActive(env, dev) {
    return this.ioTlbMem(env, dev)?.hasSlots ?? false;
  },
  isSwiotlbForAlloc(env, dev) {
    // No NULL check in the kernel (§14.2 item 4); with CONFIG_DMA_RESTRICTED_POOL off (x86) the stub returns false.
    return this.ioTlbMem(env, dev)?.forAlloc ?? false;
  },
  dmaDirectUsePool(env, dev, gfp) {
    return gfp === 'atomic' && !this.isSwiotlbForAlloc(env, dev);
  },
  physToDmaEncrypted: (env, _dev, phys) => env.platform.physToDmaEncrypted(phys, env.platformContext),
  physToDmaUnencrypted: (env, _dev, phys) => env.platform.physToDmaUnencrypted(phys, env.platformContext),
  mayAccessPrivate: (env, dev) => !env.platform.isCocoGuest || dev.trust === 'confidential-vmbus',
};
