import type { CcAttributes, Platform, PlatformContext } from '../platforms/platform.types';
import type { BitMask, DmaAddr, PhysAddr } from '../spec/address';
import type {
  DeviceKind,
  DeviceTrust,
  DmaAttr,
  DmaDirection,
  GfpKind,
  KernelProfileId,
  AllocAttr,
} from '../spec/names';
import type { NormalizedOverlay } from '../spec/normalize';
import type { ResolvedKernel } from '../spec/release';

/** Rows of docs/kernel-dma.md §3.1 (L-A streaming map) and §3.2 (L-B). */
export type StreamingRule =
  'A1' | 'A2' | 'A3' | 'A4' | 'A5' | 'A6' | 'A7' | 'A8' | 'B0' | 'B1' | 'B2' | 'B3' | 'B4' | 'B5' | 'B6';
/** Rows of docs/kernel-dma.md §4.1 (dma_direct_alloc). */
export type CoherentRule = 'C1' | 'C2' | 'C3' | 'C4' | 'C5' | 'C6' | 'C7' | 'C8' | 'C9' | 'C10';
/** Unmap and sync (docs/kernel-dma.md §3.4 has no row ids; these name its bullets). */
export type UnmapRule = 'unmap-mmio' | 'unmap-require-coherent' | 'unmap-swiotlb' | 'unmap-direct' | 'unmap-bypass';
export type SyncRule = 'sync-swiotlb' | 'sync-direct' | 'sync-bypass';
/** Functional failure classes of docs/kernel-dma.md §10.2. */
export type FailureClass =
  'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9' | 'F10' | 'F11' | 'F12' | 'F13' | 'F14' | 'F15' | 'F16';
/** docs/kernel-dma.md §1.1. */
export type MemoryState = 'private' | 'shared';
/** Which alias a handle uses (docs/kernel-dma.md §1.3); `phys` is the raw address (MMIO, storvsc PFNs). */
export type HandleEncoding = 'encrypted' | 'unencrypted' | 'phys';
/** Which SWIOTLB allocator a device points to (`dev->dma_io_tlb_mem`). */
export type SwiotlbPoolKind = 'default' | 'restricted' | 'private-default';
export type AtomicPoolZone = 'kernel' | 'dma32' | 'dma';

/** `dev->dma_io_tlb_mem` as the DMA code sees it (docs/kernel-dma.md §5.2, §14.2 item 4). */
export interface IoTlbMem {
  readonly pool: SwiotlbPoolKind;
  /** io_tlb_mem.force_bounce. */
  readonly forceBounce: boolean;
  /** Where force_bounce came from: `swiotlb=force` (wins when both), the arch (SWIOTLB_FORCE), or a restricted pool. */
  readonly forceSource: 'arch' | 'cmdline' | 'restricted' | null;
  /** nslabs > 0. */
  readonly hasSlots: boolean;
  /** io_tlb_mem.for_alloc (restricted pools). */
  readonly forAlloc: boolean;
  /** The pool's memory is shared (decrypted); L-B's `cc_shared`. */
  readonly ccShared: boolean;
}

/** The VM and kernel a decision runs in: fixed at boot. */
export interface DmaEnvironment {
  readonly platform: Platform;
  readonly platformContext: PlatformContext;
  readonly kernel: ResolvedKernel;
  readonly ccAttributes: CcAttributes;
  readonly overlays: readonly NormalizedOverlay[];
  readonly config: {
    /** CONFIG_DMA_COHERENT_POOL (atomic pools). */
    readonly dmaCoherentPool: boolean;
    /** CONFIG_SWIOTLB_DYNAMIC. */
    readonly swiotlbDynamic: boolean;
  };
  readonly swiotlb: {
    /** Slots of the default pool after boot (0: no pool, e.g. swiotlb=noforce or allocation failure). */
    readonly defaultPoolSlots: number;
    /** io_tlb_default_mem.force_bounce as set by the arch (SWIOTLB_FORCE). */
    readonly archForceBounce: boolean;
    /** `swiotlb=force` on the command line. */
    readonly cmdlineForceBounce: boolean;
    /** `swiotlb=noforce`: swiotlb_force_disable. */
    readonly noforce: boolean;
    /** Slots of the private default pool (dual-swiotlb-pools overlay), else 0. */
    readonly privatePoolSlots: number;
  };
}

/** A device as dma-direct sees it at the moment of a call. */
export interface DmaDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly trust: DeviceTrust;
  readonly dmaMask: BitMask;
  readonly coherentMask: BitMask;
  /** bus_dma_limit; 0n for none. */
  readonly busDmaLimit: bigint;
  readonly coherent: boolean;
  readonly minAlignMask: BitMask;
  /** A restricted-dma-pool is attached (docs/kernel-dma.md §5.10). */
  readonly hasRestrictedPool: boolean;
  /** device_cc_accepted(dev) right now (only the device-cc-accepted overlay looks at it). */
  readonly accepted: boolean;
}

/**
 * The per-device predicates dma-direct consults. A profile supplies the mainline ones; overlays
 * replace them the way the proposals patch the kernel (docs/kernel-dma.md §9.2).
 */
export interface KernelHooks {
  /** force_dma_unencrypted(dev) (docs/kernel-dma.md §2.1). */
  forceDmaUnencrypted(env: DmaEnvironment, dev: DmaDevice): boolean;
  /** dev->dma_io_tlb_mem, or null (docs/kernel-dma.md §8.3 RFC V2/V3 sets it NULL). */
  ioTlbMem(env: DmaEnvironment, dev: DmaDevice): IoTlbMem | null;
  /** is_swiotlb_force_bounce(dev). */
  isSwiotlbForceBounce(env: DmaEnvironment, dev: DmaDevice): boolean;
  /** is_swiotlb_active(dev). */
  isSwiotlbActive(env: DmaEnvironment, dev: DmaDevice): boolean;
  /** is_swiotlb_for_alloc(dev). */
  isSwiotlbForAlloc(env: DmaEnvironment, dev: DmaDevice): boolean;
  /** dma_direct_use_pool(dev, gfp) (docs/kernel-dma.md §14.2 item 5). */
  dmaDirectUsePool(env: DmaEnvironment, dev: DmaDevice, gfp: GfpKind): boolean;
  /** phys_to_dma() / phys_to_dma_encrypted(). */
  physToDmaEncrypted(env: DmaEnvironment, dev: DmaDevice, phys: PhysAddr): DmaAddr;
  /** phys_to_dma_unencrypted(). */
  physToDmaUnencrypted(env: DmaEnvironment, dev: DmaDevice, phys: PhysAddr): DmaAddr;
  /**
   * The device's DMA consumer is inside the TCB and may read private memory (Confidential VMBus
   * VSP in the paravisor; an accepted TDISP device under the overlay). Decides whether a direct
   * private mapping for a device with force_dma_unencrypted is correct or F8 (docs/kernel-dma.md §9.2).
   */
  mayAccessPrivate(env: DmaEnvironment, dev: DmaDevice): boolean;
}

/** Everything a decision function needs. */
export interface DecisionContext {
  readonly env: DmaEnvironment;
  readonly hooks: KernelHooks;
  readonly dev: DmaDevice;
}

export interface StreamingMapRequest {
  readonly phys: PhysAddr;
  readonly sizeBytes: number;
  readonly dir: DmaDirection;
  readonly attrs: readonly DmaAttr[];
}

/** The outcome of dma_direct_map_page/phys (docs/kernel-dma.md §3.1/§3.2) before any SWIOTLB slot is chosen. */
export type StreamingMapDecision =
  | {
      readonly path: 'direct';
      readonly rule: StreamingRule;
      readonly handle: DmaAddr;
      readonly handleEncoding: HandleEncoding;
      /** State of the memory the device touches (the caller's page). */
      readonly memoryState: MemoryState;
      readonly isMmio: boolean;
      /** arch_sync_dma_for_device() (non-coherent, no SKIP_CPU_SYNC, not MMIO). */
      readonly syncForDevice: boolean;
      /** F8: the device needs shared memory but got a private page (it reads ciphertext / faults). */
      readonly failure?: 'F8';
    }
  | {
      readonly path: 'swiotlb';
      readonly rule: StreamingRule;
      readonly pool: SwiotlbPoolKind;
      /** State of the bounce slots. */
      readonly memoryState: MemoryState;
      /** Encoding of the bounce handle (L-A: always unencrypted; L-B: by the pool's shared flag). */
      readonly handleEncoding: 'encrypted' | 'unencrypted';
      readonly reason: 'forced' | 'not-capable' | 'cc-rule';
      /** The map would not have bounced without `swiotlb=force` (V5, docs/kernel-dma.md §10.1). */
      readonly forcedOnlyByCmdline: boolean;
      /** Attributes swiotlb_map() passes on (L-B overwrites CC_SHARED with the pool state, §14.2 item 6). */
      readonly attrs: readonly DmaAttr[];
    }
  | {
      readonly path: 'bypass';
      readonly rule: 'storvsc-bypass';
      readonly handle: DmaAddr;
      readonly handleEncoding: 'phys';
      readonly memoryState: 'private';
    }
  | {
      readonly path: 'error';
      readonly rule: StreamingRule;
      readonly failure: FailureClass;
      readonly log: string | null;
    };

/** What swiotlb_map() does after the slots were found (docs/kernel-dma.md §5.4, §14.2 item 1). */
export type SwiotlbMapCompletion =
  | { readonly ok: true; readonly handle: DmaAddr }
  /** F4: the bounce copy already happened; slots are released without copy-back. */
  | {
      readonly ok: false;
      readonly failure: 'F4';
      readonly handle: DmaAddr;
      readonly log: string;
      readonly copiedBeforeFailure: true;
    };

/** A live streaming mapping, as unmap/sync need it. */
export interface LiveMapping {
  readonly path: StreamingMapDecision['path'];
  readonly dir: DmaDirection;
  readonly attrs: readonly DmaAttr[];
}

export interface UnmapDecision {
  readonly rule: UnmapRule;
  /** Copy bounce → orig (FROM_DEVICE/BIDIRECTIONAL without SKIP_CPU_SYNC). */
  readonly copyBackToOrig: boolean;
  /** Release the SWIOTLB slots (they are not scrubbed: V6). */
  readonly releaseSlots: boolean;
  /** arch_sync_dma_for_cpu() (non-coherent device). */
  readonly archSyncForCpu: boolean;
}

export interface SyncDecision {
  readonly rule: SyncRule;
  /** sync_for_device: orig → bounce; sync_for_cpu: bounce → orig; 'none' when nothing is copied. */
  readonly copy: 'orig-to-bounce' | 'bounce-to-orig' | 'none';
  readonly archSync: boolean;
}

export interface CoherentAllocRequest {
  readonly sizeBytes: number;
  readonly gfp: GfpKind;
  readonly attrs: readonly AllocAttr[];
}

/** The outcome of dma_direct_alloc (docs/kernel-dma.md §4.1–§4.3). */
export interface CoherentAllocDecision {
  readonly path: 'pages' | 'atomic-pool' | 'restricted-pool' | 'arch-alloc' | 'global-pool' | 'error';
  /** The row that decided where the memory comes from / what state it has. */
  readonly rule: CoherentRule;
  /** Every row passed, in order. */
  readonly rules: readonly CoherentRule[];
  readonly failure?: FailureClass;
  readonly log?: string;
  /** PAGE_ALIGN(size). */
  readonly allocBytes: number;
  readonly memoryState: MemoryState | null;
  readonly handleEncoding: 'encrypted' | 'unencrypted';
  /** set_memory_decrypted() after allocation (failure: pages leaked, NULL; F9). */
  readonly decryptPages: boolean;
  /** Pages are leaked (not freed) when the conversion fails (v6.9+, b9fa16949d18). */
  readonly leakOnConversionFailure: boolean;
  readonly remap: boolean;
  /** Zone chosen by dma_direct_optimal_gfp_mask() from the coherent mask. */
  readonly zone: AtomicPoolZone;
  /** Atomic pools tried, in order (dma_guess_pool()), when path is atomic-pool. */
  readonly atomicPools: readonly AtomicPoolZone[];
  /** L-B: the atomic/restricted pool must be shared (cc_shared) to match the request. */
  readonly requestShared: boolean;
  /** Row C8 reached with GFP_ATOMIC: the vmap() remap may sleep in atomic context (F16). */
  readonly sleepsInAtomic?: true;
  /** Atomic-pool path: dma_coherent_ok() rejects the pools' memory (phys_addr_ok), so every pool fails. */
  readonly unreachable?: true;
  readonly note?: string;
}

export interface CoherentFreeDecision {
  readonly rule: 'free-atomic-pool' | 'free-restricted-pool' | 'free-pages' | 'free-arch';
  /** set_memory_encrypted() before freeing (failure: "leaking DMA memory that can't be re-encrypted", F9). */
  readonly encryptPages: boolean;
  /** L-A + restricted pool + U: the re-encryption turns those restricted-pool slots private (§14.2 item 9). */
  readonly restrictedSlotsBecomePrivate: boolean;
  /** Freed memory keeps its contents (atomic pool: shared and unscrubbed until reallocated, V4). */
  readonly contentsRetained: boolean;
}

export interface MaxMappingSize {
  /** dma_max_mapping_size(dev): bytes, or 'unlimited' for SIZE_MAX. */
  readonly bytes: number | 'unlimited';
  readonly reason: 'swiotlb' | 'not-limited' | 'no-swiotlb';
}

/** A kernel profile (docs/kernel-dma.md §0): data plus decision functions named after the kernel functions. */
export interface KernelProfile {
  readonly id: KernelProfileId;
  readonly summary: string;
  readonly releases: string;
  /** L-B: pools carry cc_shared; dma_capable() has the CC rule; SWIOTLB_FORCE is gone. */
  readonly tracksSharedState: boolean;
  /** Leak (v6.9+) or free (v6.6) pages whose set_memory_decrypted() failed. */
  readonly leaksPagesOnDecryptFailure: boolean;
  /** Overlays applied, in application order (empty for a mainline profile). */
  readonly appliedOverlays: readonly NormalizedOverlay[];
  readonly hooks: KernelHooks;
  /** dma_direct_map_page() / dma_direct_map_phys(). */
  decideStreamingMap(ctx: DecisionContext, req: StreamingMapRequest): StreamingMapDecision;
  /** swiotlb_map() after the slots were found: handle encoding and the dma_capable() re-check. */
  completeSwiotlbMap(
    ctx: DecisionContext,
    decision: Extract<StreamingMapDecision, { path: 'swiotlb' }>,
    tlbPhys: PhysAddr,
    sizeBytes: number,
  ): SwiotlbMapCompletion;
  /** dma_direct_unmap_phys/page(). */
  decideUnmap(ctx: DecisionContext, mapping: LiveMapping): UnmapDecision;
  /** dma_direct_sync_single_for_device/cpu(). */
  decideSync(ctx: DecisionContext, mapping: LiveMapping, target: 'device' | 'cpu'): SyncDecision;
  /** dma_direct_alloc(). */
  decideCoherentAlloc(ctx: DecisionContext, req: CoherentAllocRequest): CoherentAllocDecision;
  /** dma_direct_free(). */
  decideCoherentFree(ctx: DecisionContext, alloc: CoherentAllocDecision): CoherentFreeDecision;
  /** dma_max_mapping_size() → dma_direct_max_mapping_size(). */
  maxMappingSize(ctx: DecisionContext): MaxMappingSize;
}
