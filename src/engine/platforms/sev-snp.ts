import type { Platform } from './platform.types';
import { identityEncoding, withCBit, x86CocoGuest } from './x86-guest';

/**
 * AMD SEV-SNP guest (KVM): x86 CoCo rules (docs/kernel-dma.md §2.1–§2.3), C-bit encoding (§1.3).
 * Conversion: snp_set_memory_shared()/private() — PVALIDATE rescind + Page State Change requests
 * via the GHCB, at most 64 entries per request (VMGEXIT_PSC_MAX_ENTRY, docs/kernel-dma.md §1.4); a TLB
 * flush always, a cache flush only without SME_COHERENT (modelled: coherent).
 */
export const sevSnpPlatform: Platform = {
  ...x86CocoGuest,
  id: 'sev-snp',
  summary: 'AMD SEV-SNP guest',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  physToDmaEncrypted: withCBit,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: {
    mechanism: 'GHCB Page State Change (VMGEXIT, ≤ 64 entries) + PVALIDATE',
    perCallNs: 8_000,
    decryptPerPageNs: 1_200,
    encryptPerPageNs: 1_500,
    pagesPerCall: 64,
    needsCacheFlush: false,
  },
};
