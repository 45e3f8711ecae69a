import { invariant } from '../invariant';
import { type DmaAddr, type PhysAddr, toDmaAddr } from '../spec/address';
import { type DeviceCcAcceptedVariant, deviceCcAcceptedVariants } from '../spec/names';
import {
  deviceCcAcceptedHunks,
  type DeviceCcAcceptedHunkId,
  deviceCcAcceptedVariantHunks,
} from '../spec/overlay-hunks';
import type { DmaDevice, DmaEnvironment, KernelHooks } from '../profiles/profile.types';
import type { Overlay } from './overlay.types';

const isVariant = (value: string | null): value is DeviceCcAcceptedVariant =>
  value !== null && (deviceCcAcceptedVariants as readonly string[]).includes(value);

const variantDescriptions: Readonly<Record<DeviceCcAcceptedVariant, string>> = {
  aneesh: 'Aneesh Kumar K.V, full arm64 set (2026-03-02): an accepted device never uses SWIOTLB or the atomic pools',
  alexey:
    'Alexey Kardashevskiy SEV-TIO (2026-02-25): no decrypt, no forced bounce, handle without the C-bit; the pool stays active',
  dan: "Dan Williams' bounce_unaccepted alternative: the arch bounces only unaccepted devices, swiotlb=force still bounces all",
  posted:
    'exactly the hunks posted in the Feb 2026 thread: SWIOTLB_FORCE still bounces every device on x86 CoCo guests',
};

/**
 * The DMA hooks of the `device_cc_accepted()` proposals (docs/kernel-dma.md §9.2, §9.3), one per hunk
 * (spec/overlay-hunks.ts). A = the device is accepted (TDISP RUN + device_cc_accept(); Confidential
 * VMBus devices count as accepted, docs/engine-contract.md §2.2). Each hunk changes one kernel function for A:
 * - force-dma-unencrypted-off: force_dma_unencrypted() false (no decrypt, private coherent memory);
 * - force-bounce-off: is_swiotlb_force_bounce() false; bounce-unaccepted: Dan's alternative, where
 *   only a real force_bounce (`swiotlb=force`, restricted pool) still wins for A (V5);
 * - swiotlb-active-off / swiotlb-for-alloc-off / use-pool-off: is_swiotlb_active(),
 *   is_swiotlb_for_alloc(), dma_direct_use_pool() false;
 * - phys-to-dma-no-cbit: phys_to_dma() without the C-bit.
 * `posted` has only the last three of the first list: on x86 CoCo guests SWIOTLB_FORCE (set at
 * boot by pci_swiotlb_detect() when CC_ATTR_GUEST_MEM_ENCRYPT is set) keeps
 * is_swiotlb_force_bounce() true, and dma_direct_map_phys() tests it before anything else, so every
 * streaming map still bounces through the shared pool.
 */
export function acceptedHooks(base: KernelHooks, hunkList: readonly string[]): KernelHooks {
  const hunks = new Set(hunkList);
  const accepted = (dev: DmaDevice): boolean => dev.accepted;
  const on = (hunk: DeviceCcAcceptedHunkId, dev: DmaDevice): boolean => dev.accepted && hunks.has(hunk);
  return {
    ...base,
    forceDmaUnencrypted(env, dev) {
      return on('force-dma-unencrypted-off', dev) ? false : base.forceDmaUnencrypted.call(this, env, dev);
    },
    isSwiotlbForceBounce(env, dev) {
      if (on('force-bounce-off', dev)) return false;
      if (!on('bounce-unaccepted', dev)) return base.isSwiotlbForceBounce.call(this, env, dev);
      // Dan's alternative: force_bounce || (bounce_unaccepted && !accepted) — only a real force_bounce (swiotlb=force, restricted pool) wins.
      const mem = this.ioTlbMem(env, dev);
      return mem !== null && mem.forceBounce && mem.forceSource !== 'arch';
    },
    isSwiotlbActive(env, dev) {
      return on('swiotlb-active-off', dev) ? false : base.isSwiotlbActive.call(this, env, dev);
    },
    isSwiotlbForAlloc(env, dev) {
      return on('swiotlb-for-alloc-off', dev) ? false : base.isSwiotlbForAlloc.call(this, env, dev);
    },
    dmaDirectUsePool(env, dev, gfp) {
      return on('use-pool-off', dev) ? false : base.dmaDirectUsePool.call(this, env, dev, gfp);
    },
    physToDmaEncrypted(env: DmaEnvironment, dev: DmaDevice, phys: PhysAddr): DmaAddr {
      return on('phys-to-dma-no-cbit', dev) ? toDmaAddr(phys) : base.physToDmaEncrypted.call(this, env, dev, phys);
    },
    mayAccessPrivate(env, dev) {
      return accepted(dev) || base.mayAccessPrivate.call(this, env, dev);
    },
  };
}

export type DeviceAcceptDecision =
  | { readonly ok: true; readonly accepted: boolean }
  | { readonly ok: false; readonly errno: '-EBUSY'; readonly accepted: boolean; readonly log: string };

/**
 * device_cc_accept() / device_cc_reject() (docs/kernel-dma.md §9.1, §8.4 Dan Williams: "rude errors" for
 * converting a device with live mappings): the transition is refused with -EBUSY while the device
 * has live streaming mappings or coherent regions (the engine's stand-in for "a driver is bound").
 */
export function decideDeviceAccept(input: {
  readonly op: 'accept' | 'reject';
  readonly isAccepted: boolean;
  readonly liveMappings: number;
  readonly liveCoherentRegions: number;
  readonly deviceId: string;
}): DeviceAcceptDecision {
  const wanted = input.op === 'accept';
  if (wanted === input.isAccepted) return { ok: true, accepted: wanted };
  if (input.liveMappings > 0 || input.liveCoherentRegions > 0) {
    return {
      ok: false,
      errno: '-EBUSY',
      accepted: input.isAccepted,
      log: `device_cc_${input.op}(${input.deviceId}): -EBUSY (${input.liveMappings} mappings and ${input.liveCoherentRegions} coherent regions live)`,
    };
  }
  return { ok: true, accepted: wanted };
}

export const deviceCcAcceptedOverlay: Overlay = {
  id: 'device-cc-accepted',
  summary: 'device_cc_accepted(): accepted (TDISP, Confidential VMBus) devices use private memory directly',
  source:
    'docs/kernel-dma.md §9; Dan Williams PCI/TSM v2 (2026-03-02), Aneesh Kumar K.V (2026-02-16/03-02), Alexey Kardashevskiy SEV-TIO (2026-02-25)',
  variants: deviceCcAcceptedVariants.map((name) => ({
    name,
    description: variantDescriptions[name],
    hunks: deviceCcAcceptedVariantHunks[name].map((id) => deviceCcAcceptedHunks[id]),
  })),
  notes: (variant, hunks) => [
    `device-cc-accepted (${variant ?? 'aneesh'}) is not merged; its hunks are applied on every platform as if ported: ${hunks.join(', ') || 'none'}.`,
  ],
  apply(profile, variant, hunks) {
    invariant(
      isVariant(variant),
      `device-cc-accepted variant '${String(variant)}' is not one of ${deviceCcAcceptedVariants.join(', ')}`,
    );
    return { ...profile, hooks: acceptedHooks(profile.hooks, hunks) };
  },
};
