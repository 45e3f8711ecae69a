import type { Platform } from './platform.types';
import { hypervVtomConversionCost } from './hyperv-vtom';
import { identityEncoding, x86CocoGuest } from './x86-guest';

/**
 * Hyper-V TDX CVM with the OpenHCL paravisor (docs/kernel-dma.md §8.1): hv_vtom_init() with cc_vendor INTEL;
 * whether these guests use the "partitioned TD L2" cc_platform variant is open (docs/kernel-dma.md §13) —
 * modelled like the SNP paravisor platform.
 */
export const hypervTdxParavisorPlatform: Platform = {
  ...x86CocoGuest,
  id: 'hyperv-tdx-paravisor',
  summary: 'Hyper-V TDX CVM with OpenHCL paravisor (vTOM)',
  observers: { host: true, paravisor: true },
  hasParavisor: true,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: hypervVtomConversionCost,
};
