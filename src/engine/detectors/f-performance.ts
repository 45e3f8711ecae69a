import type { FailureDetector } from './types';

/** Performance cliffs (docs/kernel-dma.md §10.2 F15, §3.4, §5.5): not errors, reported at info severity. */
export const performanceFailures: readonly FailureDetector[] = [
  {
    class: 'F15',
    family: 'f-performance',
    title: 'Performance cliff',
    kernelFunction: 'swiotlb_tbl_map_single',
    severity: 'info',
    logTemplate: null,
    logLimit: 'none',
    explain: (rule) =>
      rule === 'max-mapping-split'
        ? 'dma_max_mapping_size() caps each segment at the SWIOTLB maximum (256 KiB, less for min_align_mask devices): the block layer splits larger requests into more, smaller DMA mappings'
        : 'every packet fragment of this network device pays a bounce memcpy in swiotlb_tbl_map_single() (in softirq), and the first bounce cleared dma_skip_sync, so page_pool syncs are no longer skipped: throughput is bounded by copy bandwidth',
  },
];
