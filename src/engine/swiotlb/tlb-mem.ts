import { invariant } from '../invariant';
import { DYNAMIC_POOL_MAX_SLOTS } from './constants';
import type { SearchStats } from './find-slots';
import { createPool, type Pool, poolEnd, releasePool } from './pool';
import { type AllocatorRules, type RuleSet, ruleSets } from './rules';

/**
 * Why a map or coherent allocation found no slots. Classified after the search failed, from the
 * state the search saw (see classifyFailure() in metrics.ts for the exact rules):
 * - `no-pool`: the allocator has no slots at all (`!mem->nslabs`, "Can not allocate SWIOTLB buffer earlier");
 * - `too-large`: more than 128 slots (IO_TLB_SEGSIZE) asked for — can never fit a free-run counter;
 * - `full`: fewer free slots in all searchable pools than asked for;
 * - `fragmented`: enough free slots, but no free run (`list`) as long as the request;
 * - `alignment`: a long-enough free run exists, but every one was rejected by the alignment,
 *   min-align parity or segment-boundary rules (or, for coherent allocs, the result was not page aligned).
 */
export type SlotFailureReason = 'no-pool' | 'too-large' | 'full' | 'fragmented' | 'alignment';

export const slotFailureReasons: readonly SlotFailureReason[] = [
  'no-pool',
  'too-large',
  'full',
  'fragmented',
  'alignment',
];

/**
 * Backing memory for dynamic pools, injected so the atomic-pool model can plug in. Returns the
 * physical start of `bytes` of shared memory ending at or below `physLimit`, or null.
 * `purpose` says which kernel path asks: `transient` (swiotlb_find_slots, GFP_NOWAIT — the atomic
 * pool in a CoCo guest) or `grow` (swiotlb_dyn_alloc, GFP_KERNEL buddy pages converted to shared).
 */
export type PoolBackingAllocator = (bytes: number, physLimit: number, purpose: 'transient' | 'grow') => number | null;
/** Returns a transient pool's memory (swiotlb_free_tlb()). Grown pools are never freed. */
export type PoolBackingRelease = (start: number, bytes: number) => void;

/** Exact counters for the engine's metrics (metrics.ts derives means and snapshots from them). */
export interface SwiotlbStats extends SearchStats {
  maps: number;
  failedMaps: number;
  /** Coherent allocations from a restricted pool (swiotlb_alloc) and how many failed. */
  allocs: number;
  failedAllocs: number;
  unmaps: number;
  /** Candidate slots examined by all searches (find-slots.ts SearchStats). */
  slotsScanned: number;
  /** Largest number of slots examined by one map / alloc (all areas and pools it tried). */
  slotsScannedMax: number;
  readonly failures: Record<SlotFailureReason, number>;
  poolsGrown: number;
  growFailures: number;
  transientPoolsCreated: number;
  transientPoolsFailed: number;
  /** v6.6 only: slots handed out past the end of a pool whose size is not a multiple of 128. */
  slotsPastPoolEnd: number;
  /** Unmaps of an address in no pool (the kernel's is_swiotlb_buffer() is false; nothing is released). */
  unmapsOutsidePools: number;
}

/** `struct io_tlb_mem`: the allocator a device points to, with its pools and debugfs counters. */
export interface TlbMem {
  readonly rules: AllocatorRules;
  readonly ruleSet: RuleSet;
  /** Non-transient pools, newest first; the boot pool (defpool) is last (list_add_rcu inserts at the head). */
  readonly pools: Pool[];
  /** Transient pools currently alive (one allocation each; the devices' dma_io_tlb_pools lists). */
  readonly transientPools: Pool[];
  /**
   * `pools[0]` while it is the only pool (one pool, no transient pools), else null: every address
   * the allocator hands out is then in it, so the map and unmap hot paths take it from here instead
   * of checking both lists and loading the array element. Kept current by addMemPool() and the
   * transient pools' creation and deletion (dynamic.ts).
   */
  onlyPool: Pool | null;
  /** `mem->nslabs`: slots of the non-transient pools. */
  nslabs: number;
  /** debugfs io_tlb_used (`total_used`, transient allocations included). */
  used: number;
  /** debugfs io_tlb_used_hiwater. */
  hiwater: number;
  /** debugfs io_tlb_transient_nslabs (v6.9+; v6.6 had no such counter, kept at 0). */
  transientSlots: number;
  /** CONFIG_SWIOTLB_DYNAMIC. */
  readonly dynamic: boolean;
  /** `mem->can_grow`: dynamic and created without a remap callback. */
  readonly canGrow: boolean;
  /** `default_nareas`: rounds of the v6.9+ dynamic search and the grower's area count. */
  readonly defaultNareas: number;
  /** `default_nslabs`: the grower's wanted size. */
  readonly defaultNslabs: number;
  /** `mem->phys_limit`: highest address of grown pools. */
  readonly physLimit: number;
  /** Set when a miss scheduled the background grower (schedule_work); cleared when it runs. */
  growRequested: boolean;
  /** Restricted pools are also used for coherent allocations (`for_alloc`). */
  readonly forAlloc: boolean;
  readonly backing: { readonly allocate: PoolBackingAllocator; readonly release: PoolBackingRelease } | null;
  /** Results of the last map, so the hot path allocates nothing. */
  lastPool: Pool | null;
  lastSlot: number;
  lastFailure: SlotFailureReason | null;
  readonly stats: SwiotlbStats;
}

export interface CreateTlbMemOptions {
  readonly rules: AllocatorRules;
  /** The boot pool; null when there is none (swiotlb=noforce, or a failed boot allocation). */
  readonly defaultPool: { readonly nslabs: number; readonly nareas: number; readonly start: number } | null;
  /** CONFIG_SWIOTLB_DYNAMIC (default false). */
  readonly dynamic?: boolean;
  /** can_grow (default: dynamic). False for Xen-style remapped pools and restricted pools. */
  readonly canGrow?: boolean;
  /** default_nareas (default: the boot pool's areas, else 1). */
  readonly defaultNareas?: number;
  /** default_nslabs (default: the boot pool's slots, else 2048). */
  readonly defaultNslabs?: number;
  /** phys_limit (default: 4 GiB - 1, ARCH_LOW_ADDRESS_LIMIT on x86-64). */
  readonly physLimit?: number;
  readonly forAlloc?: boolean;
  readonly backing?: { readonly allocate: PoolBackingAllocator; readonly release: PoolBackingRelease };
}

export function createStats(): SwiotlbStats {
  return {
    maps: 0,
    failedMaps: 0,
    allocs: 0,
    failedAllocs: 0,
    unmaps: 0,
    slotsScanned: 0,
    slotsScannedMax: 0,
    failures: { 'no-pool': 0, 'too-large': 0, full: 0, fragmented: 0, alignment: 0 },
    poolsGrown: 0,
    growFailures: 0,
    transientPoolsCreated: 0,
    transientPoolsFailed: 0,
    slotsPastPoolEnd: 0,
    unmapsOutsidePools: 0,
  };
}

export function createTlbMem(options: CreateTlbMemOptions): TlbMem {
  const pools = options.defaultPool ? [createPool({ ...options.defaultPool, rules: options.rules })] : [];
  const dynamic = options.dynamic ?? false;
  const canGrow = dynamic && (options.canGrow ?? true);
  invariant(!canGrow || options.backing !== undefined, 'a growable dynamic SWIOTLB needs a backing allocator');
  return {
    rules: options.rules,
    ruleSet: ruleSets[options.rules],
    pools,
    transientPools: [],
    onlyPool: pools.length === 1 ? pools[0]! : null,
    nslabs: pools.reduce((sum, pool) => sum + pool.nslabs, 0),
    used: 0,
    hiwater: 0,
    transientSlots: 0,
    dynamic,
    canGrow,
    defaultNareas: options.defaultNareas ?? options.defaultPool?.nareas ?? 1,
    defaultNslabs: options.defaultNslabs ?? options.defaultPool?.nslabs ?? DYNAMIC_POOL_MAX_SLOTS,
    physLimit: options.physLimit ?? 2 ** 32 - 1,
    growRequested: false,
    forAlloc: options.forAlloc ?? false,
    backing: options.backing ?? null,
    lastPool: null,
    lastSlot: -1,
    lastFailure: null,
    stats: createStats(),
  };
}

/** inc_used_and_hiwater() (CONFIG_DEBUG_FS): total used and its high-water mark. */
export function incUsedAndHiwater(mem: TlbMem, nslots: number): void {
  const used = (mem.used += nslots);
  if (used > mem.hiwater) mem.hiwater = used;
}

/** dec_used(). */
export function decUsed(mem: TlbMem, nslots: number): void {
  mem.used -= nslots;
  if (mem.used < 0) invariant(false, `io_tlb_used went negative (${mem.used})`);
}

/** add_mem_pool(): a grown pool goes to the head of the list (searched first) and counts in nslabs. */
export function addMemPool(mem: TlbMem, pool: Pool): void {
  mem.pools.unshift(pool);
  mem.nslabs += pool.nslabs;
  mem.onlyPool = null;
}

/** TlbMem.onlyPool after the pool lists changed. */
export function updateOnlyPool(mem: TlbMem): void {
  mem.onlyPool = mem.pools.length === 1 && mem.transientPools.length === 0 ? mem.pools[0]! : null;
}

/** swiotlb_find_pool(): the pool holding a bounce address — mem's pools, then the transient ones. */
export function findPool(mem: TlbMem, tlbAddr: number): Pool | undefined {
  for (const pool of mem.pools) if (tlbAddr >= pool.start && tlbAddr < poolEnd(pool)) return pool;
  for (const pool of mem.transientPools) if (tlbAddr >= pool.start && tlbAddr < poolEnd(pool)) return pool;
  return undefined;
}

/** Hands the slot arrays of every pool of `mem` back for reuse; `mem` must not be used afterwards (the run is over). */
export function releaseTlbMem(mem: TlbMem): void {
  for (const pool of mem.pools) releasePool(pool);
  for (const pool of mem.transientPools) releasePool(pool);
}
