/** Names the spec accepts; each list is the single source for the schema, the docs and the engine registries. */

export const platformIds = [
  'none', 'sme-host', 'sev', 'sev-snp', 'tdx', 'cca-realm', 's390-pv', 'ppc-svm', 'hyperv-vbs', 'hyperv-snp-paravisor', 'hyperv-tdx-paravisor',
] as const;
export type PlatformId = (typeof platformIds)[number];

/** Kernel profiles (reference §0). */
export const kernelProfileIds = ['v6.6', 'la-classic', 'la-phys', 'lb'] as const;
export type KernelProfileId = (typeof kernelProfileIds)[number];

export const overlayIds = ['device-cc-accepted', 'dual-swiotlb-pools', 'confidential-vmbus-no-swiotlb', 'storvsc-bypass'] as const;
export type OverlayId = (typeof overlayIds)[number];
/** Variants per overlay; the first is the default. */
export const overlayVariants: Readonly<Record<OverlayId, readonly string[]>> = {
  'device-cc-accepted': ['aneesh', 'alexey', 'dan'],
  'dual-swiotlb-pools': [],
  'confidential-vmbus-no-swiotlb': [],
  'storvsc-bypass': [],
};

export const deviceKinds = ['virtio-net', 'virtio-blk', 'nvme', 'vmbus-storvsc', 'vmbus-netvsc', 'passthrough-nic', 'tdisp-nvme', 'platform'] as const;
export type DeviceKind = (typeof deviceKinds)[number];

export const deviceTrusts = ['untrusted', 'confidential-vmbus', 'tdisp-accepted'] as const;
export type DeviceTrust = (typeof deviceTrusts)[number];

export const dataClasses = ['secret', 'sensitive', 'public'] as const;
export type SpecDataClass = (typeof dataClasses)[number];

export const streamTypes = ['block', 'net-rx', 'net-tx', 'coherent-alloc'] as const;
export const streamDirections = ['to-device', 'from-device', 'bidirectional', 'mixed'] as const;
export const dmaDirections = ['to-device', 'from-device', 'bidirectional'] as const;
export type DmaDirection = (typeof dmaDirections)[number];

/** DMA attributes of engine.md §4. */
export const dmaAttrs = ['SKIP_CPU_SYNC', 'NO_WARN', 'MMIO', 'REQUIRE_COHERENT', 'CC_SHARED'] as const;
export const memoryLayouts = ['x86', 'arm-virt', 'flat'] as const;
