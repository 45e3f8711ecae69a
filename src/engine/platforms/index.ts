import type { PlatformId } from '../spec/names';
import { ccaRealmPlatform } from './cca-realm';
import { hypervSnpParavisorPlatform } from './hyperv-snp-paravisor';
import { hypervTdxParavisorPlatform } from './hyperv-tdx-paravisor';
import { hypervVbsPlatform } from './hyperv-vbs';
import { nonePlatform } from './none';
import type { Platform } from './platform.types';
import { ppcSvmPlatform } from './ppc-svm';
import { s390PvPlatform } from './s390-pv';
import { sevPlatform } from './sev';
import { sevSnpPlatform } from './sev-snp';
import { smeHostPlatform } from './sme-host';
import { tdxPlatform } from './tdx';

export type * from './platform.types';
export { describeRam, isRamRange, ramEnd, ramRanges, type RamRange } from './memory-layout';

/** Every platform of docs/engine-contract.md §3.1; typed so that a missing one is a compile error (style.md E9). */
export const platforms: Readonly<Record<PlatformId, Platform>> = {
  none: nonePlatform,
  'sme-host': smeHostPlatform,
  sev: sevPlatform,
  'sev-snp': sevSnpPlatform,
  tdx: tdxPlatform,
  'cca-realm': ccaRealmPlatform,
  's390-pv': s390PvPlatform,
  'ppc-svm': ppcSvmPlatform,
  'hyperv-vbs': hypervVbsPlatform,
  'hyperv-snp-paravisor': hypervSnpParavisorPlatform,
  'hyperv-tdx-paravisor': hypervTdxParavisorPlatform,
};

export function getPlatform(id: PlatformId): Platform {
  return platforms[id];
}
