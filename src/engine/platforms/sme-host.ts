import { dmaBitMask, minNotZero } from '../spec/address';
import type { Platform } from './platform.types';
import { identityEncoding, withCBit } from './x86-guest';

/**
 * Bare-metal AMD host with SME (`mem_encrypt=on`), docs/kernel-dma.md §2.1, §11 S14: force_dma_unencrypted()
 * is true only for a device that cannot address the C-bit —
 * `min_not_zero(coherent_dma_mask, bus_dma_limit) <= DMA_BIT_MASK(__ffs64(sme_me_mask))`
 * (arch/x86/mm/mem_encrypt.c). SWIOTLB is enabled (pci_swiotlb_detect()) but not forced; L-B
 * treats MMIO as shared (row B0). There is no hostile host: exposure here is host-side only.
 */
export const smeHostPlatform: Platform = {
  id: 'sme-host',
  summary: 'bare-metal AMD host with SME memory encryption',
  arch: 'x86',
  isCocoGuest: false,
  hasMemEncryption: true,
  defaultLayout: 'x86',
  observers: { host: false, paravisor: false },
  hasParavisor: false,
  requiresVirtioAccessPlatform: false,
  supportsNonCoherentDma: false,
  zoneDmaBits: 24,
  ccAttributes: () => ({ guestMemEncrypt: false, memEncrypt: true, hostMemEncrypt: true }),
  forceDmaUnencrypted: (device, ctx) => minNotZero(device.coherentMask, device.busDmaLimit) <= dmaBitMask(ctx.cBit),
  swiotlbBoot: () => ({ archWantsSwiotlb: true, archForceBounce: false, swiotlbAny: false }),
  cocoAutoSize: null,
  archRequestedSwiotlbBytes: () => null,
  physToDmaEncrypted: withCBit,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: {
    mechanism: 'PTE C-bit change + WBINVD-style cache flush (no hypervisor)',
    perCallNs: 1_000,
    decryptPerPageNs: 150,
    encryptPerPageNs: 150,
    pagesPerCall: 512,
    needsCacheFlush: true,
  },
};
