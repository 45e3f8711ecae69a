/**
 * The allocator rule sets (docs/kernel-dma.md §5.11), as data. Three kernels, verified against
 * kernel/dma/swiotlb.c at torvalds/linux 009fbfc97b63 (v6.6) and ColinIanKing/linux-next
 * f398a0512cc4 (v6.10); v6.9 is v6.10's search with v6.6's separate `alloc_size` interface.
 */
export type AllocatorRules = 'v6.6' | 'v6.9' | 'v6.10';

export const allocatorRuleSets: readonly AllocatorRules[] = ['v6.6', 'v6.9', 'v6.10'];

export function isAllocatorRules(value: unknown): value is AllocatorRules {
  return value === 'v6.6' || value === 'v6.9' || value === 'v6.10';
}

/** What differs between the rule sets; every branch of the model reads one of these flags. */
export interface RuleSet {
  readonly name: AllocatorRules;
  /**
   * Search alignment. false (v6.6, swiotlb_area_find_slots): one mask
   * `(min_align | alloc_align | (size >= PAGE_SIZE ? PAGE_SIZE-1 : 0)) & ~2047`, only `orig`'s
   * bits are matched (skipped when orig is 0), the slot itself is never forced aligned.
   * true (v6.9+, swiotlb_search_pool_area): `alloc_align_mask | 2047` must be clear in the slot
   * address, min-align bits above it must match orig; implicit page alignment only when both
   * masks are 0.
   */
  readonly slotAlignment: boolean;
  /** `pad_slots` (af133562d5af, v6.9-rc4): whole padding slots for offsets beyond 2 KiB; release walks back over them. */
  readonly padSlots: boolean;
  /** Search size `ALIGN(mapping_size + offset, alloc_align_mask + 1)` (327e2c97c46a, v6.10) instead of `alloc_size + offset`. */
  readonly sizeRoundedToAlignMask: boolean;
  /** Free-run init `min(128 - i % 128, nslabs - i)` (v6.9+) instead of `128 - i % 128` (v6.6). */
  readonly freeRunClampedToPoolEnd: boolean;
  /**
   * Dynamic builds search one area index across all pools before the next (v6.8,
   * "swiotlb: reduce area lock contention for non-primary IO TLB pools") for `default_nareas`
   * rounds; v6.6 searched each pool completely, newest first.
   */
  readonly dynamicSearchByArea: boolean;
  /** Dynamic builds reject `alloc_size > IO_TLB_SEGSIZE * IO_TLB_SIZE` before searching (absent in v6.6). */
  readonly dynamicRejectsOversize: boolean;
  /** debugfs `io_tlb_transient_nslabs` exists (inc_transient_used; absent in v6.6). */
  readonly transientCounter: boolean;
  /** swiotlb_alloc() asks for `2^(order+PAGE_SHIFT)-1` alignment and refuses a non-page-aligned slot (v6.9 fixes). */
  readonly coherentAllocAligned: boolean;
}

export const ruleSets: Readonly<Record<AllocatorRules, RuleSet>> = {
  'v6.6': {
    name: 'v6.6',
    slotAlignment: false,
    padSlots: false,
    sizeRoundedToAlignMask: false,
    freeRunClampedToPoolEnd: false,
    dynamicSearchByArea: false,
    dynamicRejectsOversize: false,
    transientCounter: false,
    coherentAllocAligned: false,
  },
  'v6.9': {
    name: 'v6.9',
    slotAlignment: true,
    padSlots: true,
    sizeRoundedToAlignMask: false,
    freeRunClampedToPoolEnd: true,
    dynamicSearchByArea: true,
    dynamicRejectsOversize: true,
    transientCounter: true,
    coherentAllocAligned: true,
  },
  'v6.10': {
    name: 'v6.10',
    slotAlignment: true,
    padSlots: true,
    sizeRoundedToAlignMask: true,
    freeRunClampedToPoolEnd: true,
    dynamicSearchByArea: true,
    dynamicRejectsOversize: true,
    transientCounter: true,
    coherentAllocAligned: true,
  },
};
