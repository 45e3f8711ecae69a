import { toDmaAddr } from '../spec/address';
import type { Platform } from './platform.types';
import { identityEncoding } from './x86-guest';

/**
 * Arm CCA Realm (docs/kernel-dma.md §1.3, §2.1, §2.2, §2.3): force_dma_unencrypted() = is_realm_world()
 * for every device; SWIOTLB enabled and (≤ v7.2) forced; no 6 % rule (default 64 MiB). The shared
 * alias sets PROT_NS_SHARED, the top IPA bit, so a device whose mask is below the IPA width cannot
 * reach even the SWIOTLB pool (F4). Until L-B a Realm reports only CC_ATTR_MEM_ENCRYPT; L-B
 * (d4b9d593180c) adds CC_ATTR_GUEST_MEM_ENCRYPT. arm64 has non-coherent devices (DMA_DIRECT_REMAP).
 */
export const ccaRealmPlatform: Platform = {
  id: 'cca-realm',
  summary: 'Arm CCA Realm',
  arch: 'arm64',
  isCocoGuest: true,
  hasMemEncryption: true,
  defaultLayout: 'arm-virt',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  requiresVirtioAccessPlatform: true,
  supportsNonCoherentDma: true,
  zoneDmaBits: 32,
  ccAttributes: (profileId) => ({ guestMemEncrypt: profileId === 'lb', memEncrypt: true, hostMemEncrypt: false }),
  forceDmaUnencrypted: () => true,
  swiotlbBoot: (ctx) => ({ archWantsSwiotlb: true, archForceBounce: ctx.profileId !== 'lb', swiotlbAny: false }),
  cocoAutoSize: null,
  archRequestedSwiotlbBytes: () => null,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: (phys, ctx) => toDmaAddr(phys | (1n << BigInt(ctx.ipaBits - 1))),
  conversionCost: {
    mechanism: 'RSI_IPA_STATE_SET via the RMM (RIPAS change) + host unmap',
    perCallNs: 6_000,
    decryptPerPageNs: 500,
    encryptPerPageNs: 800,
    pagesPerCall: 512,
    needsCacheFlush: false,
  },
};
