import { cocoSwiotlbBytes } from '../swiotlb/boot-sizing';
import { type DmaAddr, type PhysAddr, toDmaAddr } from '../spec/address';
import type { KernelProfileId } from '../spec/names';
import type { CcAttributes, Platform, PlatformContext, SwiotlbBootPolicy } from './platform.types';

/**
 * What every x86 confidential guest shares (SEV, SEV-SNP, TDX, Hyper-V vTOM): docs/kernel-dma.md §2.1
 * (force_dma_unencrypted() true for every device when CC_ATTR_GUEST_MEM_ENCRYPT), §2.2
 * (pci_swiotlb_detect(): enable, and ≤ v7.2 SWIOTLB_FORCE), §2.3 (6 % auto-size, virtio must
 * negotiate ACCESS_PLATFORM).
 */
export const x86GuestCcAttributes = (_profileId: KernelProfileId): CcAttributes => ({
  guestMemEncrypt: true,
  memEncrypt: true,
  hostMemEncrypt: false,
});

export const x86GuestForceDmaUnencrypted = (): boolean => true;

/** ≤ v7.2: enable + SWIOTLB_FORCE; L-B deletes SWIOTLB_FORCE (Aneesh v7, arch/x86/kernel/pci-dma.c). */
export function x86GuestSwiotlbBoot(ctx: PlatformContext): SwiotlbBootPolicy {
  return { archWantsSwiotlb: true, archForceBounce: ctx.profileId !== 'lb', swiotlbAny: false };
}

/** mem_encrypt_setup_arch(): 6 % of RAM clamped to [64 MiB, 1 GiB] (docs/kernel-dma.md §2.3). */
export const x86GuestSwiotlbBytes = (totalRamBytes: number): number => cocoSwiotlbBytes(totalRamBytes);

/** The identity encoding: TDX and vTOM carry the shared bit in the PTE, not in the address (docs/kernel-dma.md §1.3). */
export const identityEncoding = (phys: PhysAddr): DmaAddr => toDmaAddr(phys);

/** SEV/SME: the private alias carries the C-bit (`__sme_set()`), the shared one does not. */
export const withCBit = (phys: PhysAddr, ctx: PlatformContext): DmaAddr => toDmaAddr(phys | (1n << BigInt(ctx.cBit)));

/**
 * The Platform fields every x86 confidential guest shares; each platform file adds its id, summary,
 * observers, DMA encodings and conversion cost.
 */
export const x86CocoGuest = {
  arch: 'x86',
  isCocoGuest: true,
  hasMemEncryption: true,
  defaultLayout: 'x86',
  requiresVirtioAccessPlatform: true,
  supportsNonCoherentDma: false,
  zoneDmaBits: 24,
  ccAttributes: x86GuestCcAttributes,
  forceDmaUnencrypted: x86GuestForceDmaUnencrypted,
  swiotlbBoot: x86GuestSwiotlbBoot,
  cocoAutoSize: 'x86-6-percent',
  archRequestedSwiotlbBytes: x86GuestSwiotlbBytes,
} as const satisfies Partial<Platform>;
