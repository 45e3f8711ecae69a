import { type BootSizing, bootSizing } from '../swiotlb/boot-sizing';
import type { ResolvedDevice, ResolvedScenario } from '../spec/normalize';
import type { DmaDevice, DmaEnvironment } from './profile.types';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/**
 * Memory memblock_alloc_low() can hand out in the model: RAM below 4 GiB (ARCH_LOW_ADDRESS_LIMIT on
 * x86) — the q35/virt low window of at most 2 GiB from the start of RAM — minus the first 16 MiB
 * (firmware, kernel image). The SWIOTLB boot pools come from here.
 */
export function lowMemoryBytes(resolved: ResolvedScenario): number {
  const ramStart = resolved.spec.vm.layout === 'arm-virt' ? GiB : 0;
  const lowTop = Math.min(Number(resolved.platformContext.ramEnd), ramStart + 2 * GiB);
  return Math.max(0, lowTop - (ramStart + 16 * MiB));
}

/**
 * swiotlb_init_remap() sizing of the default pool: bootSizing() with memblock_alloc_low() failing
 * for more than low memory holds, so the kernel's halving loop ("adjusted ... slabs") applies.
 */
export function bootSwiotlbSizing(resolved: ResolvedScenario, lowBytes: number = lowMemoryBytes(resolved)): BootSizing {
  const policy = resolved.platform.swiotlbBoot(resolved.platformContext);
  // mem_encrypt_setup_arch() takes memblock_phys_mem_size(): every RAM region, reserved memory included.
  const archRequestedBytes = resolved.platform.archRequestedSwiotlbBytes(resolved.spec.vm.memoryMiB * MiB);
  return bootSizing({
    cmdline: resolved.swiotlbCmdline,
    archWantsSwiotlb: policy.archWantsSwiotlb,
    possibleCpus: resolved.spec.vm.vcpus,
    ...(archRequestedBytes === null ? {} : { archRequestedBytes }),
    canAllocate: (bytes) => bytes <= lowBytes,
  });
}

/**
 * Builds the boot-time environment of a resolved scenario: cc attributes, the arch's SWIOTLB
 * policy (docs/kernel-dma.md §2.2), the default pool size after boot (swiotlb/boot-sizing.ts, reference
 * §5.3) and, with the dual-swiotlb-pools overlay, a private pool of the same size.
 */
export function createDmaEnvironment(resolved: ResolvedScenario): DmaEnvironment {
  const { platform, platformContext, swiotlbCmdline } = resolved;
  const policy = platform.swiotlbBoot(platformContext);
  const sizing = bootSwiotlbSizing(resolved);
  const hasDualPools = resolved.overlays.some((overlay) => overlay.name === 'dual-swiotlb-pools');
  return {
    platform,
    platformContext,
    kernel: resolved.kernel,
    ccAttributes: platform.ccAttributes(resolved.kernel.profileId),
    overlays: resolved.overlays,
    config: {
      dmaCoherentPool: resolved.spec.kernel.config.dmaCoherentPool,
      swiotlbDynamic: resolved.spec.kernel.config.swiotlbDynamic,
    },
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
