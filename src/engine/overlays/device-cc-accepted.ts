import { invariant } from '../invariant';
import { type DmaAddr, type PhysAddr, toDmaAddr } from '../spec/address';
import { type DeviceCcAcceptedVariant, deviceCcAcceptedVariants } from '../spec/names';
import type { DmaDevice, DmaEnvironment, KernelHooks } from '../profiles/profile.types';
import type { Overlay } from './overlay.types';

const isVariant = (value: string | null): value is DeviceCcAcceptedVariant => value !== null && (deviceCcAcceptedVariants as readonly string[]).includes(value);

/**
 * The DMA hooks of the `device_cc_accepted()` proposals (docs/kernel-dma.md §9.2, §9.3). A = the device is
 * accepted (TDISP RUN + device_cc_accept(); Confidential VMBus devices count as accepted, docs/engine-contract.md
 * §2.2). The variants are different patch sets, applied here on every platform "as if ported":
 * - aneesh (Feb/Mar 2026, arm64): A ⇒ force_dma_unencrypted false, not forced, is_swiotlb_active
 *   false (never bounce: a non-capable accepted device fails, F5), is_swiotlb_for_alloc false,
 *   dma_direct_use_pool false. phys_to_dma unchanged (arm64's canonical address is private).
 * - alexey (SEV-TIO, x86): A ⇒ force_dma_unencrypted false, not forced, phys_to_dma without the
 *   C-bit; the pool stays active, so a non-capable accepted device bounces through the shared pool
 *   on L-A (exposure) and hits the L-B pool check (F6).
 * - dan (the `bounce_unaccepted` alternative): A ⇒ force_dma_unencrypted false, phys_to_dma
 *   without the C-bit; the arch's forced bouncing becomes "bounce unaccepted" but `swiotlb=force`
 *   (force_bounce) still wins for accepted devices (V5).
 */
export function acceptedHooks(base: KernelHooks, variant: DeviceCcAcceptedVariant): KernelHooks {
  const accepted = (dev: DmaDevice): boolean => dev.accepted;
  const stripCBit = variant === 'alexey' || variant === 'dan';
  return {
    ...base,
    forceDmaUnencrypted(env, dev) {
      return accepted(dev) ? false : base.forceDmaUnencrypted.call(this, env, dev);
    },
    isSwiotlbForceBounce(env, dev) {
      if (!accepted(dev)) return base.isSwiotlbForceBounce.call(this, env, dev);
      if (variant !== 'dan') return false;
      // Dan's alternative: force_bounce || (bounce_unaccepted && !accepted) — only a real force_bounce (swiotlb=force, restricted pool) wins.
      const mem = this.ioTlbMem(env, dev);
      return mem !== null && mem.forceBounce && mem.forceSource !== 'arch';
    },
    isSwiotlbActive(env, dev) {
      return variant === 'aneesh' && accepted(dev) ? false : base.isSwiotlbActive.call(this, env, dev);
    },
    isSwiotlbForAlloc(env, dev) {
      return variant === 'aneesh' && accepted(dev) ? false : base.isSwiotlbForAlloc.call(this, env, dev);
    },
    dmaDirectUsePool(env, dev, gfp) {
      return variant === 'aneesh' && accepted(dev) ? false : base.dmaDirectUsePool.call(this, env, dev, gfp);
    },
    physToDmaEncrypted(env: DmaEnvironment, dev: DmaDevice, phys: PhysAddr): DmaAddr {
      return stripCBit && accepted(dev) ? toDmaAddr(phys) : base.physToDmaEncrypted.call(this, env, dev, phys);
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
export function decideDeviceAccept(input: { readonly op: 'accept' | 'reject'; readonly isAccepted: boolean; readonly liveMappings: number; readonly liveCoherentRegions: number; readonly deviceId: string }): DeviceAcceptDecision {
  const wanted = input.op === 'accept';
  if (wanted === input.isAccepted) return { ok: true, accepted: wanted };
  if (input.liveMappings > 0 || input.liveCoherentRegions > 0) {
    return { ok: false, errno: '-EBUSY', accepted: input.isAccepted, log: `device_cc_${input.op}(${input.deviceId}): -EBUSY (${input.liveMappings} mappings and ${input.liveCoherentRegions} coherent regions live)` };
  }
  return { ok: true, accepted: wanted };
}

export const deviceCcAcceptedOverlay: Overlay = {
  id: 'device-cc-accepted',
  summary: 'device_cc_accepted(): accepted (TDISP, Confidential VMBus) devices use private memory directly',
  source: 'docs/kernel-dma.md §9; Dan Williams PCI/TSM v2 (2026-03-02), Aneesh Kumar K.V (2026-02-16/03-02), Alexey Kardashevskiy SEV-TIO (2026-02-25)',
  notes: (variant) => [
    `device-cc-accepted (${variant ?? 'aneesh'}) is not merged; its hooks are applied on every platform as if ported (docs/kernel-dma.md §9.2).`,
  ],
  apply(profile, variant) {
    invariant(isVariant(variant), `device-cc-accepted variant '${String(variant)}' is not one of ${deviceCcAcceptedVariants.join(', ')}`);
    return { ...profile, hooks: acceptedHooks(profile.hooks, variant) };
  },
};
