import { createLaProfile } from './la-profile';

/**
 * "L-A phys", v6.18 … v7.2 (docs/kernel-dma.md §0): dma_direct_map_phys() with DMA_ATTR_MMIO (v6.18), the
 * MMIO-under-force fix (v7.0, 47322c469d4a), DMA_ATTR_REQUIRE_COHERENT and DMA_ATTR_CC_SHARED
 * (v7.1, applied to dma-mapping-for-next 2026-04-02). Which of these exist is decided by the
 * resolved release; the table is rows A1–A8 with §14.1 item 1 (CC_SHARED tested first under force).
 */
export const laPhysProfile = createLaProfile({
  id: 'la-phys',
  summary: 'L-A phys: dma_direct_map_phys(), MMIO (v6.18), MMIO fix (v7.0), CC_SHARED/REQUIRE_COHERENT (v7.1)',
  releases: 'v6.18–v7.2',
  leaksPagesOnDecryptFailure: true,
});
