import type { Pool } from './pool';

/** The longest run of free slots an allocation could take (free-run counters are per segment, so at most 128). */
export function largestFreeRun(pools: readonly Pool[]): number {
  let largest = 0;
  for (const pool of pools) {
    const end = pool.nareas * pool.areaSlots;
    for (let i = 0; i < end; i++) if (pool.list[i]! > largest) largest = pool.list[i]!;
  }
  return largest;
}

/**
 * Free runs by length: histogram[k] = number of maximal free runs of exactly k slots (k = 1..128),
 * runs split at segment ends as the allocator sees them. A run starts where `list` is non-zero and
 * the previous slot is used or in another segment.
 */
export function freeRunHistogram(pools: readonly Pool[]): number[] {
  const histogram = new Array<number>(129).fill(0);
  for (const pool of pools) {
    const end = pool.nareas * pool.areaSlots;
    for (let i = 0; i < end; i++) {
      const run = pool.list[i]!;
      const startsRun = run > 0 && (i % 128 === 0 || pool.list[i - 1] === 0);
      if (startsRun) histogram[Math.min(run, end - i)]!++;
    }
  }
  return histogram;
}
