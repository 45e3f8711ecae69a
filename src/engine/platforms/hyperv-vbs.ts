import type { Platform } from './platform.types';
import { hypervVtomConversionCost } from './hyperv-vtom';
import { identityEncoding, x86CocoGuest } from './x86-guest';

/**
 * Hyper-V VBS isolation VM: vTOM guest without a paravisor (docs/kernel-dma.md §1.3 lists VBS among the vTOM
 * platforms; §8.1 "SNP (and VBS) ⇒ MSR_AMD64_SNP_VTOM"). No Confidential VMBus (needs a paravisor).
 */
export const hypervVbsPlatform: Platform = {
  ...x86CocoGuest,
  id: 'hyperv-vbs',
  summary: 'Hyper-V VBS isolation VM (vTOM, no paravisor)',
  observers: { host: true, paravisor: false },
  hasParavisor: false,
  physToDmaEncrypted: identityEncoding,
  physToDmaUnencrypted: identityEncoding,
  conversionCost: hypervVtomConversionCost,
};
