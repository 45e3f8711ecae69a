import { createLaProfile } from './la-profile';

/**
 * "L-A classic", v6.9 … v6.17 (docs/kernel-dma.md §0): Will Deacon's alignment fixes and pad slots (v6.9),
 * ALIGN(mapping_size + offset) sizing (v6.10), dma_direct_map_page() (torvalds/linux
 * kernel/dma/direct.h, rows A4/A7/A8 only), arch SWIOTLB_FORCE in CoCo guests, pages leaked on
 * conversion failure.
 */
export const laClassicProfile = createLaProfile({
  id: 'la-classic',
  summary: 'L-A classic: dma_direct_map_page(), SWIOTLB_FORCE in CoCo guests',
  releases: 'v6.9–v6.17',
  leaksPagesOnDecryptFailure: true,
});
