/** include/linux/swiotlb.h and kernel/dma/swiotlb.c constants (unchanged since before v6.0; docs/kernel-dma.md §5.1). */

/** IO_TLB_SHIFT: a slot is 2 KiB. */
export const IO_TLB_SHIFT = 11;
/** IO_TLB_SIZE: bytes per slot. */
export const IO_TLB_SIZE = 2048;
/** IO_TLB_SEGSIZE: slots per segment; free-run counters restart at every segment, so no allocation spans two. */
export const IO_TLB_SEGSIZE = 128;
/** IO_TLB_DEFAULT_SIZE: 64 MiB default pool. */
export const IO_TLB_DEFAULT_SIZE_BYTES = 64 * 1024 * 1024;
/** Default pool size in slots (32,768). */
export const IO_TLB_DEFAULT_SLOTS = IO_TLB_DEFAULT_SIZE_BYTES / IO_TLB_SIZE;
/** IO_TLB_MIN_SLABS: 1 MiB (512 slots), the smallest pool tried at boot and for dynamic growth. */
export const IO_TLB_MIN_SLABS = (1024 * 1024) / IO_TLB_SIZE;
/** PAGE_SIZE on x86-64 and 4K arm64. */
export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/** MAX_PAGE_ORDER (x86; MAX_ORDER in v6.6): 10, so one buddy allocation is at most 4 MiB. */
export const MAX_PAGE_ORDER = 10;
/** SLABS_PER_PAGE: 2 with 4 KiB pages. */
export const SLABS_PER_PAGE = PAGE_SIZE / IO_TLB_SIZE;
/** Largest dynamic pool: SLABS_PER_PAGE << MAX_PAGE_ORDER = 2048 slots (4 MiB). */
export const DYNAMIC_POOL_MAX_SLOTS = SLABS_PER_PAGE << MAX_PAGE_ORDER;

/** nr_slots(): slots covering `bytes` (DIV_ROUND_UP(bytes, IO_TLB_SIZE)). Exact for bytes < 2^53. */
export function nrSlots(bytes: number): number {
  return Math.ceil(bytes / IO_TLB_SIZE);
}
