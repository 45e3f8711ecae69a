import { limitNareas } from './boot-sizing';
import { DYNAMIC_POOL_MAX_SLOTS, IO_TLB_MIN_SLABS, IO_TLB_SEGSIZE, IO_TLB_SIZE } from './constants';
import { poolFindSlots, searchPoolArea } from './find-slots';
import { createPool, type Pool, poolGeometry, type SwiotlbDevice } from './pool';
import { addMemPool, decUsed, type TlbMem, updateOnlyPool } from './tlb-mem';

/**
 * CONFIG_SWIOTLB_DYNAMIC (docs/kernel-dma.md §5.7–§5.8): several pools per io_tlb_mem searched newest
 * first, a background grower that the caller runs explicitly (the engine's `run_deferred`), and
 * single-area transient pools created on the map path when everything else is full.
 */

/**
 * swiotlb_find_slots() of a dynamic build. Sets mem.lastPool and returns the slot index, or -1.
 * v6.9+ (since v6.8's "reduce area lock contention"): reject > 128 slots up front, then for
 * i = 0 .. default_nareas - 1 search area `(cpu + i) & (pool.nareas - 1)` of every pool with more
 * than i areas, newest pool first. v6.6: search each pool completely (its own CPU-area round
 * robin), newest first. Then, if the allocator can grow: schedule the grower and try a transient
 * pool of exactly nr_slots(alloc_size) slots (one area) from the injected backing allocator.
 */
export function dynamicFindSlots(
  mem: TlbMem,
  device: SwiotlbDevice,
  cpu: number,
  origAddr: number,
  allocSize: number,
  allocAlignMask: number,
): number {
  const stats = mem.stats;
  const minAlign = device.minAlignMask;
  if (mem.ruleSet.dynamicSearchByArea) {
    if (allocSize > IO_TLB_SEGSIZE * IO_TLB_SIZE) return -1;
    for (let i = 0; i < mem.defaultNareas; i++) {
      for (const pool of mem.pools) {
        if (i >= pool.nareas) continue;
        const index = searchPoolArea(
          pool,
          (cpu + i) & (pool.nareas - 1),
          poolGeometry(pool, device),
          origAddr,
          allocSize,
          allocAlignMask,
          minAlign,
          stats,
        );
        if (index >= 0) {
          mem.lastPool = pool;
          return index;
        }
      }
    }
  } else {
    for (const pool of mem.pools) {
      const index = poolFindSlots(
        pool,
        cpu,
        poolGeometry(pool, device),
        origAddr,
        allocSize,
        allocAlignMask,
        minAlign,
        stats,
      );
      if (index >= 0) {
        mem.lastPool = pool;
        return index;
      }
    }
  }
  if (!mem.canGrow || mem.backing === null) return -1;
  mem.growRequested = true; // schedule_work(&mem->dyn_alloc)

  // swiotlb_alloc_pool(dev, nslabs, nslabs, 1, phys_limit, GFP_NOWAIT): no halving (min = wanted).
  const nslabs = Math.ceil(allocSize / IO_TLB_SIZE);
  const physLimit = device.physLimit ?? Number.MAX_SAFE_INTEGER;
  const start = mem.backing.allocate(nslabs * IO_TLB_SIZE, physLimit, 'transient');
  if (start === null) {
    mem.stats.transientPoolsFailed++;
    return -1;
  }
  const pool = createPool({ nslabs, nareas: 1, start, rules: mem.rules, transient: true });
  const index = searchPoolArea(
    pool,
    0,
    poolGeometry(pool, device),
    origAddr,
    allocSize,
    allocAlignMask,
    minAlign,
    stats,
  );
  if (index < 0) {
    // swiotlb_dyn_free(): the pool never becomes visible.
    mem.backing.release(start, nslabs * IO_TLB_SIZE);
    mem.stats.transientPoolsFailed++;
    return -1;
  }
  mem.transientPools.unshift(pool); // list_add_rcu(&pool->node, &dev->dma_io_tlb_pools)
  updateOnlyPool(mem);
  if (mem.ruleSet.transientCounter) mem.transientSlots += pool.nslabs; // inc_transient_used()
  mem.stats.transientPoolsCreated++;
  mem.lastPool = pool;
  return index;
}

/**
 * swiotlb_del_transient(): unmapping an address in a transient pool deletes the whole pool;
 * io_tlb_used drops by the pool size (which equals what the map added), and so does
 * io_tlb_transient_nslabs. The memory goes back through the backing release callback.
 */
export function deleteTransientPool(mem: TlbMem, pool: Pool): void {
  decUsed(mem, pool.nslabs);
  const at = mem.transientPools.indexOf(pool);
  mem.transientPools.splice(at, 1);
  updateOnlyPool(mem);
  if (mem.ruleSet.transientCounter) mem.transientSlots -= pool.nslabs;
  mem.backing?.release(pool.start, pool.nslabs * IO_TLB_SIZE);
}

/**
 * swiotlb_dyn_alloc(): the background grower, run when the engine processes deferred work.
 * swiotlb_alloc_pool(NULL, IO_TLB_MIN_SLABS, default_nslabs, default_nareas, phys_limit,
 * GFP_KERNEL): capped at one buddy allocation (2048 slots, areas limited to match), halving
 * (rounded up to 128) while the allocation fails and nslabs > 512. The new pool goes to the head
 * of the list and is searched first from then on; grown pools are never freed.
 */
export function growPool(mem: TlbMem): Pool | null {
  mem.growRequested = false;
  if (!mem.canGrow || mem.backing === null) return null;
  let nslabs = mem.defaultNslabs;
  let nareas = mem.defaultNareas;
  if (nslabs > DYNAMIC_POOL_MAX_SLOTS) {
    nslabs = DYNAMIC_POOL_MAX_SLOTS;
    nareas = limitNareas(nareas, nslabs);
  }
  let start = mem.backing.allocate(nslabs * IO_TLB_SIZE, mem.physLimit, 'grow');
  while (start === null) {
    if (nslabs <= IO_TLB_MIN_SLABS) {
      mem.stats.growFailures++; // "Failed to allocate new pool"
      return null;
    }
    nslabs = Math.ceil((nslabs >> 1) / IO_TLB_SEGSIZE) * IO_TLB_SEGSIZE;
    nareas = limitNareas(nareas, nslabs);
    start = mem.backing.allocate(nslabs * IO_TLB_SIZE, mem.physLimit, 'grow');
  }
  const pool = createPool({ nslabs, nareas, start, rules: mem.rules });
  addMemPool(mem, pool);
  mem.stats.poolsGrown++;
  return pool;
}
