/** Names the spec accepts; each list is the single source for the schema, the docs and the engine registries. */

/** Platforms of docs/engine-contract.md §3.1 (docs/kernel-dma.md §1.3, §1.4, §2, §8). */
export const platformIds = [
  'none',
  'sme-host',
  'sev',
  'sev-snp',
  'tdx',
  'cca-realm',
  's390-pv',
  'ppc-svm',
  'hyperv-vbs',
  'hyperv-snp-paravisor',
  'hyperv-tdx-paravisor',
] as const;
export type PlatformId = (typeof platformIds)[number];

/** Kernel profiles (docs/kernel-dma.md §0). */
export const kernelProfileIds = ['v6.6', 'la-classic', 'la-phys', 'lb'] as const;
export type KernelProfileId = (typeof kernelProfileIds)[number];

/** Unmerged proposals applied on top of a profile (docs/engine-contract.md §3.2). */
export const overlayIds = [
  'device-cc-accepted',
  'dual-swiotlb-pools',
  'confidential-vmbus-no-swiotlb',
  'storvsc-bypass',
] as const;
export type OverlayId = (typeof overlayIds)[number];

/**
 * `device-cc-accepted` postings, each a set of hunks (spec/overlay-hunks.ts); `aneesh` is the
 * default, `posted` is exactly the hunks of the Feb 2026 thread.
 */
export const deviceCcAcceptedVariants = ['aneesh', 'alexey', 'dan', 'posted'] as const;
export type DeviceCcAcceptedVariant = (typeof deviceCcAcceptedVariants)[number];

/** Variants per overlay; the first is the default, an empty list means the overlay takes no variant. */
export const overlayVariants: Readonly<Record<OverlayId, readonly string[]>> = {
  'device-cc-accepted': deviceCcAcceptedVariants,
  'dual-swiotlb-pools': [],
  'confidential-vmbus-no-swiotlb': [],
  'storvsc-bypass': [],
};

export const deviceKinds = [
  'virtio-net',
  'virtio-blk',
  'nvme',
  'vmbus-storvsc',
  'vmbus-netvsc',
  'passthrough-nic',
  'tdisp-nvme',
  'platform',
] as const;
export type DeviceKind = (typeof deviceKinds)[number];
/** PCI functions: pci_device_add() defaults (32-bit coherent mask, 64 KiB segments, 4 GiB boundary). */
export const pciDeviceKinds: readonly DeviceKind[] = [
  'virtio-net',
  'virtio-blk',
  'nvme',
  'passthrough-nic',
  'tdisp-nvme',
];
/** VMBus devices: vmbus_device_register() gives them 64-bit masks. */
export const vmbusDeviceKinds: readonly DeviceKind[] = ['vmbus-storvsc', 'vmbus-netvsc'];
export const virtioDeviceKinds: readonly DeviceKind[] = ['virtio-net', 'virtio-blk'];

export const deviceTrusts = ['untrusted', 'confidential-vmbus', 'tdisp-accepted'] as const;
export type DeviceTrust = (typeof deviceTrusts)[number];

/**
 * `unknown`: bytes nobody has classified yet (what an imported trace carries until a `--data` rule
 * says otherwise). Kept private like `sensitive`, and reported under its own name so the user
 * knows to classify it.
 */
export const dataClasses = ['secret', 'sensitive', 'public', 'unknown'] as const;
export type SpecDataClass = (typeof dataClasses)[number];

export const streamTypes = ['block', 'net-rx', 'net-tx', 'coherent-alloc'] as const;
export type StreamType = (typeof streamTypes)[number];
export const streamDirections = ['to-device', 'from-device', 'bidirectional', 'mixed'] as const;
export const dmaDirections = ['to-device', 'from-device', 'bidirectional'] as const;
export type DmaDirection = (typeof dmaDirections)[number];

/** Streaming-map DMA attributes of docs/engine-contract.md §4. */
export const dmaAttrs = ['SKIP_CPU_SYNC', 'NO_WARN', 'MMIO', 'REQUIRE_COHERENT', 'CC_SHARED'] as const;
export type DmaAttr = (typeof dmaAttrs)[number];
/** Attributes dma_alloc_attrs() understands that change the dma-direct path (docs/kernel-dma.md §4.1 C1). */
export const allocAttrs = ['NO_WARN', 'NO_KERNEL_MAPPING'] as const;
export type AllocAttr = (typeof allocAttrs)[number];

export const gfpKinds = ['blocking', 'atomic'] as const;
export type GfpKind = (typeof gfpKinds)[number];

export const memoryLayouts = ['x86', 'arm-virt', 'flat'] as const;
export type MemoryLayout = (typeof memoryLayouts)[number];
