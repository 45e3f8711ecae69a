import type { Platform } from './platform.types';
import { identityEncoding, x86CocoGuest } from './x86-guest';

/**
 * Intel TDX guest: x86 CoCo rules (docs/kernel-dma.md §2.1–§2.3); both handles are the canonical address —
 * the shared bit lives in the PTE (docs/kernel-dma.md §1.3). Conversion: private→shared is one
 * TDG.VP.VMCALL<MapGPA> over the range; shared→private adds TDG.MEM.PAGE.ACCEPT (1G/2M/4K tries);
 * TDX always flushes caches (tdx_cache_flush_required(), docs/kernel-dma.md §1.4).
 */
export const tdxPlatform: Platform = {
  ...x86CocoGuest,
  id: 'tdx',
  summary: 'Intel TDX guest',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: {
    mechanism: 'TDG.VP.VMCALL<MapGPA>; to private also TDG.MEM.PAGE.ACCEPT',
    perCallNs: 10_000,
    decryptPerPageNs: 300,
    encryptPerPageNs: 2_000,
    pagesPerCall: 262_144,
    needsCacheFlush: true,
  },
};
