import type { ExposureFacts, ExposureMemory } from './types';

/** Memory a streaming bounce lands in (default, private-default, restricted or transient SWIOTLB pools). */
export function isBounceMemory(memory: ExposureMemory): boolean {
  return memory === 'swiotlb' || memory === 'restricted-pool' || memory === 'transient-pool';
}

/** The map-time copy path, as the kernel calls it (docs/kernel-dma.md §5.4). */
export function mapCopyPath(facts: ExposureFacts): string {
  return `dma_direct_map_phys → swiotlb_map → swiotlb_tbl_map_single (${facts.detail})`;
}
