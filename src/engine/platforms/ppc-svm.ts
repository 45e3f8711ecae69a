import type { Platform } from './platform.types';
import { identityEncoding } from './x86-guest';

/**
 * powerpc pseries Secure VM (docs/kernel-dma.md §2.1, §2.2): force_dma_unencrypted() = is_secure_guest()
 * (file location not verified, docs/kernel-dma.md §13); init_svm() sets SWIOTLB_ANY | SWIOTLB_FORCE
 * (L-B: SWIOTLB_ANY only) and shares the pool. Until L-B only CC_ATTR_MEM_ENCRYPT is reported.
 * Conversion: ultracalls UV_SHARE_PAGE / UV_UNSHARE_PAGE.
 */
export const ppcSvmPlatform: Platform = {
  id: 'ppc-svm',
  summary: 'powerpc pseries secure guest (PEF/SVM)',
  arch: 'powerpc',
  isCocoGuest: true,
  hasMemEncryption: true,
  defaultLayout: 'flat',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  requiresVirtioAccessPlatform: true,
  supportsNonCoherentDma: false,
  zoneDmaBits: 31,
  ccAttributes: (profileId) => ({ guestMemEncrypt: profileId === 'lb', memEncrypt: true, hostMemEncrypt: false }),
  forceDmaUnencrypted: () => true,
  swiotlbBoot: (ctx) => ({ archWantsSwiotlb: true, archForceBounce: ctx.profileId !== 'lb', swiotlbAny: true }),
  cocoAutoSize: null,
  archRequestedSwiotlbBytes: () => null,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: {
    mechanism: 'ultracall UV_SHARE_PAGE / UV_UNSHARE_PAGE',
    perCallNs: 3_000,
    decryptPerPageNs: 400,
    encryptPerPageNs: 400,
    pagesPerCall: 512,
    needsCacheFlush: false,
  },
};
