import type { Platform } from './platform.types';
import { hypervVtomConversionCost } from './hyperv-vtom';
import { identityEncoding, x86GuestCcAttributes, x86GuestForceDmaUnencrypted, x86GuestSwiotlbBoot, x86GuestSwiotlbBytes } from './x86-guest';

/**
 * Hyper-V SEV-SNP CVM with the OpenHCL paravisor (VTL2) and vTOM (reference §8.1, §8.2, §11 S4–S6).
 * The paravisor is inside the TCB and reads private memory; Confidential VMBus channels have their
 * VSP in it.
 */
export const hypervSnpParavisorPlatform: Platform = {
  id: 'hyperv-snp-paravisor',
  summary: 'Hyper-V SEV-SNP CVM with OpenHCL paravisor (vTOM)',
  arch: 'x86',
  isCocoGuest: true,
  hasMemEncryption: true,
  defaultLayout: 'x86',
  observers: { host: true, paravisor: true },
  hasParavisor: true,
  requiresVirtioAccessPlatform: true,
  supportsNonCoherentDma: false,
  zoneDmaBits: 24,
  ccAttributes: x86GuestCcAttributes,
  forceDmaUnencrypted: x86GuestForceDmaUnencrypted,
  swiotlbBoot: x86GuestSwiotlbBoot,
  cocoAutoSize: 'x86-6-percent',
  archRequestedSwiotlbBytes: x86GuestSwiotlbBytes,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: hypervVtomConversionCost,
};
