import type { AtomicPoolZone } from '../profiles/profile.types';

/**
 * Atomic DMA pools (kernel/dma/pool.c, docs/kernel-dma.md §6): one gen_pool per zone (kernel, dma32, dma),
 * each a list of chunks handed out first-fit, order-aligned, at 4 KiB granularity
 * (gen_pool_first_fit_order_align). Pools are pre-decrypted in CoCo guests, grow only through
 * deferred work (atomic_pool_work_fn → atomic_pool_resize → atomic_pool_expand, doubling with
 * chunks of at most MAX_PAGE_ORDER) and never shrink. Pure data structure: decryption, fault
 * injection and logging are the caller's (the run's) business.
 */

export const PAGE = 4096;
/** MAX_ORDER_NR_PAGES on x86-64 (order 10): 4 MiB. */
export const MAX_ORDER_PAGES = 1024;
const SZ_128K = 128 * 1024;

/**
 * dma_atomic_pool_init(): `coherent_pool=` if given, else totalram_pages() / (SZ_1G / SZ_128K)
 * pages — 128 KiB per GiB — capped at MAX_ORDER_NR_PAGES and at least SZ_128K.
 */
export function atomicPoolSize(totalRamBytes: number, coherentPoolBytes: number | null): number {
  if (coherentPoolBytes !== null && coherentPoolBytes > 0) return coherentPoolBytes;
  const totalramPages = Math.floor(totalRamBytes / PAGE);
  const pages = Math.min(Math.floor(totalramPages / 8192), MAX_ORDER_PAGES);
  return Math.max(pages * PAGE, SZ_128K);
}

/** get_order(size). */
export function pageOrder(bytes: number): number {
  let order = 0;
  while (PAGE * 2 ** order < bytes) order++;
  return order;
}

interface Chunk {
  readonly start: number;
  readonly pages: number;
  /** 1 = page in use. */
  readonly used: Uint8Array;
}

export interface AtomicPool {
  readonly zone: AtomicPoolZone;
  readonly chunks: Chunk[];
  /** gen_pool_size(). */
  sizeBytes: number;
  /** Bytes allocated now. */
  usedBytes: number;
  usedBytesMax: number;
  readonly initialBytes: number;
  growthEvents: number;
  exhaustions: number;
  /** Live allocations: address → pages. */
  readonly live: Map<number, number>;
}

export function createAtomicPool(zone: AtomicPoolZone): AtomicPool {
  return {
    zone,
    chunks: [],
    sizeBytes: 0,
    usedBytes: 0,
    usedBytesMax: 0,
    initialBytes: 0,
    growthEvents: 0,
    exhaustions: 0,
    live: new Map(),
  };
}

/**
 * atomic_pool_expand(pool, size): order = min(get_order(size), MAX_PAGE_ORDER); the chunk is
 * 2^order pages at `start` (the caller carved and decrypted it). Returns the chunk's bytes.
 */
export function chunkBytesFor(requestBytes: number): number {
  return PAGE * 2 ** Math.min(pageOrder(requestBytes), 10);
}

export function addChunk(pool: AtomicPool, start: number, bytes: number, initial: boolean): void {
  const pages = Math.floor(bytes / PAGE);
  pool.chunks.push({ start, pages, used: new Uint8Array(pages) });
  pool.sizeBytes += pages * PAGE;
  if (initial) (pool as { initialBytes: number }).initialBytes += pages * PAGE;
  else pool.growthEvents++;
}

/** gen_pool_avail(). */
export function poolAvail(pool: AtomicPool): number {
  return pool.sizeBytes - pool.usedBytes;
}

/**
 * gen_pool_alloc_algo(…, gen_pool_first_fit_order_align): the first run of free pages whose start
 * (relative to the chunk) is a multiple of 2^order pages, order = get_order(size). Returns the
 * address or -1.
 */
export function poolAlloc(pool: AtomicPool, bytes: number): number {
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  const align = 2 ** pageOrder(pages * PAGE);
  for (const chunk of pool.chunks) {
    for (let first = 0; first + pages <= chunk.pages; first += align) {
      let free = true;
      for (let i = first; i < first + pages; i++) {
        if (chunk.used[i]) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      chunk.used.fill(1, first, first + pages);
      const addr = chunk.start + first * PAGE;
      pool.live.set(addr, pages);
      pool.usedBytes += pages * PAGE;
      if (pool.usedBytes > pool.usedBytesMax) pool.usedBytesMax = pool.usedBytes;
      return addr;
    }
  }
  return -1;
}

/** gen_pool_free(): returns false when the address is not a live allocation of this pool (dma_free_from_pool tries the next). */
export function poolFree(pool: AtomicPool, addr: number): boolean {
  const pages = pool.live.get(addr);
  if (pages === undefined) return false;
  pool.live.delete(addr);
  for (const chunk of pool.chunks) {
    if (addr >= chunk.start && addr < chunk.start + chunk.pages * PAGE) {
      const first = (addr - chunk.start) / PAGE;
      chunk.used.fill(0, first, first + pages);
      break;
    }
  }
  pool.usedBytes -= pages * PAGE;
  return true;
}
