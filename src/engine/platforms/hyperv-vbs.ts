import type { Platform } from './platform.types';
import { hypervVtomConversionCost } from './hyperv-vtom';
import { identityEncoding, x86GuestCcAttributes, x86GuestForceDmaUnencrypted, x86GuestSwiotlbBoot, x86GuestSwiotlbBytes } from './x86-guest';

/**
 * Hyper-V VBS isolation VM: vTOM guest without a paravisor (reference §1.3 lists VBS among the vTOM
 * platforms; §8.1 "SNP (and VBS) ⇒ MSR_AMD64_SNP_VTOM"). No Confidential VMBus (needs a paravisor).
 */
export const hypervVbsPlatform: Platform = {
  id: 'hyperv-vbs',
  summary: 'Hyper-V VBS isolation VM (vTOM, no paravisor)',
  arch: 'x86',
  isCocoGuest: true,
  hasMemEncryption: true,
  defaultLayout: 'x86',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
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
