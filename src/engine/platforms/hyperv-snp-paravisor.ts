import type { Platform } from './platform.types';
import { hypervVtomConversionCost } from './hyperv-vtom';
import { identityEncoding, x86CocoGuest } from './x86-guest';

/**
 * Hyper-V SEV-SNP CVM with the OpenHCL paravisor (VTL2) and vTOM (docs/kernel-dma.md §8.1, §8.2, §11 S4–S6).
 * The paravisor is inside the TCB and reads private memory; Confidential VMBus channels have their
 * VSP in it.
 */
export const hypervSnpParavisorPlatform: Platform = {
  ...x86CocoGuest,
  id: 'hyperv-snp-paravisor',
  summary: 'Hyper-V SEV-SNP CVM with OpenHCL paravisor (vTOM)',
  observers: { host: true, paravisor: true },
  hasParavisor: true,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: hypervVtomConversionCost,
};
