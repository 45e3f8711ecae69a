import type { Platform } from './platform.types';
import { hypervVtomConversionCost } from './hyperv-vtom';
import { identityEncoding, x86GuestCcAttributes, x86GuestForceDmaUnencrypted, x86GuestSwiotlbBoot, x86GuestSwiotlbBytes } from './x86-guest';

/**
 * Hyper-V TDX CVM with the OpenHCL paravisor (reference §8.1): hv_vtom_init() with cc_vendor INTEL;
 * whether these guests use the "partitioned TD L2" cc_platform variant is open (reference §13) —
 * modelled like the SNP paravisor platform.
 */
export const hypervTdxParavisorPlatform: Platform = {
  id: 'hyperv-tdx-paravisor',
  summary: 'Hyper-V TDX CVM with OpenHCL paravisor (vTOM)',
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
