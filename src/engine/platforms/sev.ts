import type { Platform } from './platform.types';
import { identityEncoding, withCBit, x86CocoGuest } from './x86-guest';

/**
 * AMD SEV / SEV-ES guest (no RMP): x86 CoCo rules (docs/kernel-dma.md §2.1–§2.3); the private alias carries
 * the C-bit (docs/kernel-dma.md §1.3), so a device whose mask is below the C-bit fails dma_capable() for
 * private handles. Conversion flips the C-bit in the PTE, flushes caches and tells the hypervisor
 * (KVM_HC_MAP_GPA_RANGE).
 */
export const sevPlatform: Platform = {
  ...x86CocoGuest,
  id: 'sev',
  summary: 'AMD SEV/SEV-ES guest',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  physToDmaEncrypted: withCBit,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: {
    mechanism: 'PTE C-bit change + cache flush + KVM_HC_MAP_GPA_RANGE hypercall',
    perCallNs: 5_000,
    decryptPerPageNs: 200,
    encryptPerPageNs: 200,
    pagesPerCall: 512,
    needsCacheFlush: true,
  },
};
