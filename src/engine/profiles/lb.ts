import { completeSwiotlbMap, decideCoherentFree, decideSync, decideUnmap, maxMappingSize } from './dma-direct';
import { decideCoherentAllocDirect } from './dma-direct-la';
import { decideStreamingMapLb } from './dma-direct-lb';
import { mainlineHooks } from './mainline-hooks';
import type { KernelProfile } from './profile.types';

/**
 * "L-B", v7.3+ (docs/kernel-dma.md §0, §3.2, §4.2, §6.4): Aneesh Kumar K.V's shared-state tracking series.
 * SWIOTLB_FORCE deleted (the arch no longer forces; platforms report no archForceBounce for lb),
 * pools carry cc_shared, dma_capable() rejects private handles of devices that need shared memory,
 * swiotlb refuses a pool of the wrong state (F6), dma_max_mapping_size() also caps
 * force_dma_unencrypted devices.
 */
export const lbProfile: KernelProfile = {
  id: 'lb',
  summary: 'L-B: shared DMA state tracked through direct, pool and swiotlb paths; no SWIOTLB_FORCE',
  releases: 'v7.3+',
  tracksSharedState: true,
  leaksPagesOnDecryptFailure: true,
  appliedOverlays: [],
  hooks: mainlineHooks,
  decideStreamingMap: decideStreamingMapLb,
  completeSwiotlbMap: (ctx, decision, tlbPhys, sizeBytes) =>
    completeSwiotlbMap(ctx, decision, tlbPhys, sizeBytes, true),
  decideUnmap,
  decideSync,
  decideCoherentAlloc: (ctx, req) =>
    decideCoherentAllocDirect(ctx, req, { leaksPagesOnDecryptFailure: true, tracksSharedState: true }),
  decideCoherentFree: (ctx, alloc) => decideCoherentFree(ctx, alloc, true),
  maxMappingSize: (ctx) => maxMappingSize(ctx, true),
};
