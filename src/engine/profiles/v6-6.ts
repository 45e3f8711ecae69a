import { createLaProfile } from './la-profile';

/**
 * v6.6 … v6.8 (docs/kernel-dma.md §0): areas and dynamic SWIOTLB, old allocator alignment rules (the rule
 * set comes from the resolved release: v6.6), dma_direct_map_page(), arch SWIOTLB_FORCE in CoCo
 * guests. Before b9fa16949d18 (v6.9) pages whose set_memory_decrypted() failed were freed back to
 * the allocator instead of leaked.
 */
export const v66Profile = createLaProfile({
  id: 'v6.6',
  summary: 'v6.6: first kernel with areas and dynamic SWIOTLB; old alignment rules; dma_direct_map_page()',
  releases: 'v6.6–v6.8',
  leaksPagesOnDecryptFailure: false,
});
