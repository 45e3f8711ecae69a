import type { KernelProfileId } from '../spec/names';
import { completeSwiotlbMap, decideCoherentFree, decideSync, decideUnmap, maxMappingSize } from './dma-direct';
import { decideCoherentAllocDirect, decideStreamingMapLa } from './dma-direct-la';
import { mainlineHooks } from './mainline-hooks';
import type { KernelProfile } from './profile.types';

/** Builds one of the L-A family profiles (v6.6, la-classic, la-phys): same decision tables, different data. */
export function createLaProfile(data: {
  id: KernelProfileId;
  summary: string;
  releases: string;
  leaksPagesOnDecryptFailure: boolean;
}): KernelProfile {
  const options = { leaksPagesOnDecryptFailure: data.leaksPagesOnDecryptFailure, tracksSharedState: false };
  return {
    ...data,
    tracksSharedState: false,
    appliedOverlays: [],
    hooks: mainlineHooks,
    decideStreamingMap: decideStreamingMapLa,
    completeSwiotlbMap: (ctx, decision, tlbPhys, sizeBytes) =>
      completeSwiotlbMap(ctx, decision, tlbPhys, sizeBytes, false),
    decideUnmap,
    decideSync,
    decideCoherentAlloc: (ctx, req) => decideCoherentAllocDirect(ctx, req, options),
    decideCoherentFree: (ctx, alloc) => decideCoherentFree(ctx, alloc, false),
    maxMappingSize: (ctx) => maxMappingSize(ctx, false),
  };
}
