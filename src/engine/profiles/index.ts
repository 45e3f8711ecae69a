import type { KernelProfileId } from '../spec/names';
import { laClassicProfile } from './la-classic';
import { laPhysProfile } from './la-phys';
import { lbProfile } from './lb';
import type { DecisionContext, DmaDevice, DmaEnvironment, KernelProfile } from './profile.types';
import { v66Profile } from './v6-6';

export type * from './profile.types';
export { createDmaDevice, createDmaEnvironment } from './environment';
export { dmaCapable, isDmaAddressingLimited, requiredMask, swiotlbMaxMappingSize } from './dma-direct';
export { mainlineHooks } from './mainline-hooks';

/** Every kernel profile of docs/kernel-dma.md §0; typed so that a missing one is a compile error (style.md E9). */
export const kernelProfiles: Readonly<Record<KernelProfileId, KernelProfile>> = {
  'v6.6': v66Profile,
  'la-classic': laClassicProfile,
  'la-phys': laPhysProfile,
  lb: lbProfile,
};

export function getKernelProfile(id: KernelProfileId): KernelProfile {
  return kernelProfiles[id];
}

/** The context a decision function takes: the profile's (possibly overlaid) hooks, the environment, the device. */
export function createDecisionContext(profile: KernelProfile, env: DmaEnvironment, dev: DmaDevice): DecisionContext {
  return { env, dev, hooks: profile.hooks };
}
