import type { Platform } from './platform.types';
import { identityEncoding } from './x86-guest';

/**
 * s390 Protected Virtualization (Secure Execution) guest (docs/kernel-dma.md §2.1, §2.2, §11 S11):
 * force_dma_unencrypted() = is_prot_virt_guest(); pv_init() sets up SWIOTLB with SWIOTLB_FORCE
 * (≤ v7.2); L-B drops the force and selects SWIOTLB_ANY, SWIOTLB_DYNAMIC, DMA_COHERENT_POOL
 * (28b0d6897484, 14ddf10e93d4). Before L-B s390 PV reports no cc_platform_has() attribute at all
 * (§14.1 item 3, f38ab0d7). No 6 % rule: default 64 MiB (IBM recommends swiotlb=262144).
 * Conversion: uv_set_shared() per 4 KiB page.
 */
export const s390PvPlatform: Platform = {
  id: 's390-pv',
  summary: 's390 Protected Virtualization guest',
  arch: 's390',
  isCocoGuest: true,
  hasMemEncryption: true,
  defaultLayout: 'flat',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  requiresVirtioAccessPlatform: true,
  supportsNonCoherentDma: false,
  zoneDmaBits: 31,
  ccAttributes: (profileId) => ({
    guestMemEncrypt: profileId === 'lb',
    memEncrypt: profileId === 'lb',
    hostMemEncrypt: false,
  }),
  forceDmaUnencrypted: () => true,
  swiotlbBoot: (ctx) => ({
    archWantsSwiotlb: true,
    archForceBounce: ctx.profileId !== 'lb',
    swiotlbAny: ctx.profileId === 'lb',
  }),
  cocoAutoSize: null,
  archRequestedSwiotlbBytes: () => null,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: {
    mechanism: 'Ultravisor call uv_set_shared()/uv_remove_shared() per 4 KiB page',
    perCallNs: 0,
    decryptPerPageNs: 2_500,
    encryptPerPageNs: 2_500,
    pagesPerCall: 1,
    needsCacheFlush: false,
  },
};
