import { IO_TLB_SEGSIZE } from './constants';
import { type Pool, slotList, type SwiotlbDevice } from './pool';
import type { SlotFailureReason, TlbMem } from './tlb-mem';

/**
 * Classifies a failed search (run once per failure, never on the success path). Only the
 * non-transient pools count, and only slots that can start an allocation (the first
 * nareas × areaSlots of each pool). With n = nr_slots(size):
 * 1. `too-large`  — n > 128: no free-run counter can ever reach it;
 * 2. `full`       — fewer than n free slots in total;
 * 3. `fragmented` — enough free slots, but no free run (`list`) of n or more;
 * 4. `alignment`  — some free run of n exists, yet the search rejected every candidate: alignment,
 *    min-align parity or the segment boundary (rarely the per-area cheap reject, when a run starts
 *    in one area and ends in the next).
 * A dynamic build that also failed to get a transient pool is classified the same way.
 */
export function classifyFailure(mem: TlbMem, _device: SwiotlbDevice, size: number): SlotFailureReason {
  const nslots = Math.ceil(size / 2048);
  if (nslots > IO_TLB_SEGSIZE) return 'too-large';
  let free = 0;
  let longestRun = 0;
  for (const pool of mem.pools) {
    const end = pool.nareas * pool.areaSlots;
    for (let i = 0; i < end; i++) {
      const run = slotList(pool, i);
      if (run > 0) free++;
      if (run > longestRun) longestRun = run;
    }
  }
  if (free < nslots) return 'full';
  return longestRun < nslots ? 'fragmented' : 'alignment';
}

/** The longest run of free slots an allocation could take (free-run counters are per segment, so at most 128). */
export function largestFreeRun(pools: readonly Pool[]): number {
  let largest = 0;
  for (const pool of pools) {
    const end = pool.nareas * pool.areaSlots;
    for (let i = 0; i < end; i++) largest = Math.max(largest, slotList(pool, i));
  }
  return largest;
}

/** Free slots that can start an allocation. */
export function freeSlots(pools: readonly Pool[]): number {
  let free = 0;
  for (const pool of pools) {
    const end = pool.nareas * pool.areaSlots;
    for (let i = 0; i < end; i++) if (slotList(pool, i) > 0) free++;
  }
  return free;
}

/**
 * Free runs by length: histogram[k] = number of maximal free runs of exactly k slots (k = 1..128,
 * index 0 unused), runs split at segment ends as the allocator sees them. A run starts at a free
 * slot whose predecessor is used or in the previous segment; its length is that slot's `list`.
 */
export function freeRunHistogram(pools: readonly Pool[]): number[] {
  const histogram = new Array<number>(IO_TLB_SEGSIZE + 1).fill(0);
  for (const pool of pools) {
    const end = pool.nareas * pool.areaSlots;
    for (let i = 0; i < end; i++) {
      const run = slotList(pool, i);
      if (run > 0 && ((i & 127) === 0 || slotList(pool, i - 1) === 0)) histogram[Math.min(run, IO_TLB_SEGSIZE)]!++;
    }
  }
  return histogram;
}

/** The allocator metrics of docs/engine-contract.md §8, as exact numbers. */
export interface SwiotlbMetrics {
  readonly nslabs: number;
  readonly used: number;
  readonly hiwater: number;
  readonly transientSlots: number;
  readonly poolsGrown: number;
  readonly maps: number;
  readonly unmaps: number;
  readonly failedMaps: number;
  readonly allocs: number;
  readonly failedAllocs: number;
  readonly failures: Readonly<Record<SlotFailureReason, number>>;
  /** Candidate slots examined per search (maps + coherent allocs), mean and max. */
  readonly slotsScannedMean: number;
  readonly slotsScannedMax: number;
  readonly slotsScannedTotal: number;
  readonly freeSlots: number;
  readonly largestFreeRun: number;
  readonly freeRunHistogram: readonly number[];
  readonly slotsPastPoolEnd: number;
}

/** A snapshot of the metrics (O(slots): call it at sample points, not per operation). */
export function swiotlbMetrics(mem: TlbMem): SwiotlbMetrics {
  const searches = mem.stats.maps + mem.stats.allocs;
  const total = mem.stats.slotsScanned;
  return {
    nslabs: mem.nslabs,
    used: mem.used,
    hiwater: mem.hiwater,
    transientSlots: mem.transientSlots,
    poolsGrown: mem.stats.poolsGrown,
    maps: mem.stats.maps,
    unmaps: mem.stats.unmaps,
    failedMaps: mem.stats.failedMaps,
    allocs: mem.stats.allocs,
    failedAllocs: mem.stats.failedAllocs,
    failures: { ...mem.stats.failures },
    slotsScannedMean: searches === 0 ? 0 : total / searches,
    slotsScannedMax: mem.stats.slotsScannedMax,
    slotsScannedTotal: total,
    freeSlots: freeSlots(mem.pools),
    largestFreeRun: largestFreeRun(mem.pools),
    freeRunHistogram: freeRunHistogram(mem.pools),
    slotsPastPoolEnd: mem.stats.slotsPastPoolEnd,
  };
}
