import type { ConversionCost } from './platform.types';

/**
 * Hyper-V isolation VMs with vTOM (docs/kernel-dma.md §1.3, §8.1): hv_vtom_init() sets
 * cc_set_mask(shared_gpa_boundary) and reports CC_ATTR_GUEST_MEM_ENCRYPT, so the generic x86 CoCo
 * rules apply (every device force_dma_unencrypted, SWIOTLB forced ≤ v7.2, 6 % sizing). Both DMA
 * handles are the canonical address (sme_me_mask = 0); the shared alias above the vTOM boundary
 * lives in the PTE. Conversion: hv_vtom_set_host_visibility() →
 * HvCallModifySparseGpaPageHostVisibility.
 */
export const hypervVtomConversionCost: ConversionCost = {
  mechanism: 'HvCallModifySparseGpaPageHostVisibility hypercall (vTOM)',
  perCallNs: 12_000,
  decryptPerPageNs: 250,
  encryptPerPageNs: 250,
  pagesPerCall: 512,
  needsCacheFlush: false,
};
