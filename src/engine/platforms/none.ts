import type { Platform } from './platform.types';
import { identityEncoding } from './x86-guest';

/**
 * A non-confidential x86 VM: force_dma_unencrypted() is the generic `false` stub
 * (include/linux/dma-direct.h), SWIOTLB exists only when RAM extends above 4 GiB
 * (pci_swiotlb_detect()) or with `swiotlb=force`, nothing is ever decrypted (docs/kernel-dma.md §2.1, §2.2,
 * §11 S13). The host can read all guest memory: there is no private memory to expose.
 */
export const nonePlatform: Platform = {
  id: 'none',
  summary: 'non-confidential x86 VM (no memory encryption)',
  arch: 'x86',
  isCocoGuest: false,
  hasMemEncryption: false,
  defaultLayout: 'x86',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  requiresVirtioAccessPlatform: false,
  supportsNonCoherentDma: false,
  zoneDmaBits: 24,
  ccAttributes: () => ({ guestMemEncrypt: false, memEncrypt: false, hostMemEncrypt: false }),
  forceDmaUnencrypted: () => false,
  swiotlbBoot: (ctx) => ({ archWantsSwiotlb: ctx.ramEnd > 1n << 32n, archForceBounce: false, swiotlbAny: false }),
  cocoAutoSize: null,
  archRequestedSwiotlbBytes: () => null,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: {
    mechanism: 'none (no memory encryption)',
    perCallNs: 0,
    decryptPerPageNs: 0,
    encryptPerPageNs: 0,
    pagesPerCall: 1,
    needsCacheFlush: false,
  },
};
