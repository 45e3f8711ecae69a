import { bootSizing } from '../swiotlb/boot-sizing';
import type { ResolvedDevice, ResolvedScenario } from '../spec/normalize';
import type { DmaDevice, DmaEnvironment } from './profile.types';

/**
 * Builds the boot-time environment of a resolved scenario: cc attributes, the arch's SWIOTLB
 * policy (docs/kernel-dma.md §2.2), the default pool size after boot (swiotlb/boot-sizing.ts, reference
 * §5.3) and, with the dual-swiotlb-pools overlay, a private pool of the same size.
 */
export function createDmaEnvironment(resolved: ResolvedScenario): DmaEnvironment {
  const { platform, platformContext, swiotlbCmdline } = resolved;
  const policy = platform.swiotlbBoot(platformContext);
  const archRequestedBytes = platform.archRequestedSwiotlbBytes(resolved.totalRamBytes);
  const sizing = bootSizing({
    cmdline: swiotlbCmdline,
    archWantsSwiotlb: policy.archWantsSwiotlb,
    possibleCpus: resolved.spec.vm.vcpus,
    ...(archRequestedBytes === null ? {} : { archRequestedBytes }),
  });
  const hasDualPools = resolved.overlays.some((overlay) => overlay.name === 'dual-swiotlb-pools');
  return {
    platform,
    platformContext,
    kernel: resolved.kernel,
    ccAttributes: platform.ccAttributes(resolved.kernel.profileId),
    overlays: resolved.overlays,
    config: { dmaCoherentPool: resolved.spec.kernel.config.dmaCoherentPool, swiotlbDynamic: resolved.spec.kernel.config.swiotlbDynamic },
    swiotlb: {
      defaultPoolSlots: sizing.nslabs,
      archForceBounce: policy.archForceBounce && (policy.archWantsSwiotlb || swiotlbCmdline.force),
      cmdlineForceBounce: swiotlbCmdline.force,
      noforce: swiotlbCmdline.noforce,
      privatePoolSlots: hasDualPools && platform.isCocoGuest ? sizing.nslabs : 0,
    },
  };
}

/**
 * A resolved spec device as dma-direct sees it. `accepted` starts true for `tdisp-accepted` and
 * `confidential-vmbus` devices (docs/engine-contract.md §2.2: the device-cc-accepted overlay also covers
 * Confidential VMBus); only that overlay looks at it.
 */
export function createDmaDevice(device: ResolvedDevice, accepted: boolean = device.trust !== 'untrusted'): DmaDevice {
  return {
    id: device.id,
    kind: device.kind,
    trust: device.trust,
    dmaMask: device.dmaMask,
    coherentMask: device.coherentMask,
    busDmaLimit: device.busDmaLimit,
    coherent: device.coherent,
    minAlignMask: device.minAlignMask,
    hasRestrictedPool: device.restrictedPoolBytes !== null,
    accepted,
  };
}
