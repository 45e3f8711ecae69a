import type { DmaAddr, PhysAddr } from '../spec/address';
import type { KernelProfileId, MemoryLayout, PlatformId } from '../spec/names';

/** cc_platform_has() attributes the DMA code consults (docs/kernel-dma.md §2.1). */
export interface CcAttributes {
  /** CC_ATTR_GUEST_MEM_ENCRYPT. */
  readonly guestMemEncrypt: boolean;
  /** CC_ATTR_MEM_ENCRYPT (L-B: the shared flag of pools). */
  readonly memEncrypt: boolean;
  /** CC_ATTR_HOST_MEM_ENCRYPT (SME host; L-B row B0). */
  readonly hostMemEncrypt: boolean;
}

/** What force_dma_unencrypted() and dma_capable() look at. */
export interface PlatformDevice {
  /** *dev->dma_mask */
  readonly dmaMask: bigint;
  /** dev->coherent_dma_mask */
  readonly coherentMask: bigint;
  /** dev->bus_dma_limit, 0n for none. */
  readonly busDmaLimit: bigint;
}

/** Per-VM platform parameters (docs/engine-contract.md §2 `vm`). */
export interface PlatformContext {
  readonly profileId: KernelProfileId;
  /** SEV/SME C-bit position (sme_me_mask = 1 << cBit). */
  readonly cBit: number;
  /** CCA IPA width; PROT_NS_SHARED is bit ipaBits - 1. */
  readonly ipaBits: number;
  /** One past the highest RAM byte. */
  readonly ramEnd: bigint;
}

/** How the arch sets up SWIOTLB at boot (docs/kernel-dma.md §2.2). */
export interface SwiotlbBootPolicy {
  /** The arch asks for a default pool (x86 pci_swiotlb_detect(), arm64 mem_init(), s390 pv_init(), ppc init_svm()). */
  readonly archWantsSwiotlb: boolean;
  /** SWIOTLB_FORCE from the arch: every dma-direct streaming map bounces (≤ v7.2 CoCo guests). */
  readonly archForceBounce: boolean;
  /** SWIOTLB_ANY: the pool may lie anywhere in RAM (otherwise below 4 GiB on x86). */
  readonly swiotlbAny: boolean;
}

/**
 * Page-state conversion cost parameters (docs/kernel-dma.md §1.4, §7.1). These are MODELLED defaults, not
 * measurements: no authoritative per-page numbers were found (docs/kernel-dma.md §7.1, §13). They are
 * inputs to the cost model and stated as such in every report.
 */
export interface ConversionCost {
  /** What set_memory_decrypted()/encrypted() does on this platform. */
  readonly mechanism: string;
  /** Fixed cost of one conversion call (hypercall/VMGEXIT round trip), virtual ns. */
  readonly perCallNs: number;
  /** Cost per 4 KiB page made shared, virtual ns. */
  readonly decryptPerPageNs: number;
  /** Cost per 4 KiB page made private again (accept/validate), virtual ns. */
  readonly encryptPerPageNs: number;
  /** Pages per hypervisor request before another round trip (SNP PSC: 64 entries). */
  readonly pagesPerCall: number;
  /** A cache flush is needed around the conversion (TDX always; SEV without SME_COHERENT). */
  readonly needsCacheFlush: boolean;
}

/** Who, besides the guest CPU, can read memory in a given state (docs/kernel-dma.md §1.2). */
export interface Observers {
  /** The host VMM / hypervisor (reads shared memory; reads everything on a non-CoCo VM). */
  readonly host: boolean;
  /** A paravisor inside the guest TCB (Hyper-V OpenHCL VTL2): reads private memory too. */
  readonly paravisor: boolean;
}

/** One confidential-computing platform (docs/engine-contract.md §3.1). */
export interface Platform {
  readonly id: PlatformId;
  readonly summary: string;
  readonly arch: 'x86' | 'arm64' | 's390' | 'powerpc';
  /** A confidential guest: its memory is private unless converted. */
  readonly isCocoGuest: boolean;
  /** Memory encryption is active (CoCo guest or SME host): pools are decrypted, conversions happen. */
  readonly hasMemEncryption: boolean;
  readonly defaultLayout: MemoryLayout;
  readonly observers: Observers;
  /** A paravisor exists (Confidential VMBus needs one, docs/kernel-dma.md §8.2). */
  readonly hasParavisor: boolean;
  /** virtio devices must negotiate VIRTIO_F_ACCESS_PLATFORM or are refused at probe (F14). */
  readonly requiresVirtioAccessPlatform: boolean;
  /** Non-coherent DMA exists on this arch (arm64: DMA_DIRECT_REMAP); x86/s390/ppc64 DMA is coherent. */
  readonly supportsNonCoherentDma: boolean;
  /** ZONE_DMA width (x86: 24 bits = 16 MiB). */
  readonly zoneDmaBits: number;
  ccAttributes(profileId: KernelProfileId): CcAttributes;
  /** force_dma_unencrypted(dev) (docs/kernel-dma.md §2.1). */
  forceDmaUnencrypted(device: PlatformDevice, ctx: PlatformContext): boolean;
  swiotlbBoot(ctx: PlatformContext): SwiotlbBootPolicy;
  /** The arch's CoCo auto-size rule (docs/kernel-dma.md §2.3): the x86 6 % rule, or none (default 64 MiB). */
  readonly cocoAutoSize: 'x86-6-percent' | null;
  /** swiotlb_adjust_size() request in bytes for this much RAM, or null (the sizing math is in swiotlb/boot-sizing.ts). */
  archRequestedSwiotlbBytes(physMemBytes: number): number | null;
  /** phys_to_dma_encrypted() / phys_to_dma(): the private alias (docs/kernel-dma.md §1.3). */
  physToDmaEncrypted(phys: PhysAddr, ctx: PlatformContext): DmaAddr;
  /** phys_to_dma_unencrypted(): the shared alias (docs/kernel-dma.md §1.3). */
  physToDmaUnencrypted(phys: PhysAddr, ctx: PlatformContext): DmaAddr;
  readonly conversionCost: ConversionCost;
}
