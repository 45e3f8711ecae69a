/**
 * Smallest n with `fails(n) === false`, for a predicate that is expected (not known) to be
 * monotone: more pool never hurts in a first-fit allocator with the same requests — but SWIOTLB
 * areas split the pool per CPU and the slot search wraps within an area, so a larger pool changes
 * where every later mapping lands, and fragmentation can make a larger size fail where a smaller
 * one passed. So: double from `start` until a passing size, bisect down to the boundary, then
 * check the next sizes above the boundary and report any that fail (`monotone: false`).
 */
export interface SearchOutcome {
  /** The smallest passing n found (null: none up to the limit, or timed out first). */
  readonly smallest: number | null;
  readonly runs: number;
  readonly monotone: boolean;
  /** Sizes above the boundary that fail. */
  readonly nonMonotoneAt: readonly number[] | null;
  readonly timedOut: boolean;
}

/** How many sizes above the boundary are re-checked for monotonicity. */
export const aboveBoundaryChecks = 4;

export function searchSmallest(
  fails: (n: number) => boolean,
  start: number,
  limit: number,
  clock: { readonly now?: () => number; readonly deadlineMs?: number } = {},
): SearchOutcome {
  let runs = 0;
  const expired = (): boolean =>
    clock.now !== undefined && clock.deadlineMs !== undefined && clock.now() > clock.deadlineMs;
  const test = (n: number): boolean => {
    runs++;
    return fails(n);
  };
  let hi = Math.max(1, Math.min(start, limit));
  let lo = 0; // largest known failing size (0: none known; size 0 is not searched)
  while (test(hi)) {
    lo = hi;
    if (hi >= limit || expired())
      return { smallest: null, runs, monotone: true, nonMonotoneAt: null, timedOut: expired() };
    hi = Math.min(limit, hi * 2);
  }
  // Below the start: find a failing lower bound by halving.
  if (lo === 0) {
    let probe = Math.floor(hi / 2);
    while (probe >= 1 && !test(probe)) {
      hi = probe;
      probe = Math.floor(probe / 2);
      if (expired()) return { smallest: hi, runs, monotone: true, nonMonotoneAt: null, timedOut: true };
    }
    lo = probe;
  }
  while (hi - lo > 1) {
    if (expired()) return { smallest: hi, runs, monotone: true, nonMonotoneAt: null, timedOut: true };
    const mid = lo + Math.floor((hi - lo) / 2);
    if (test(mid)) lo = mid;
    else hi = mid;
  }
  const failingAbove: number[] = [];
  for (let n = hi + 1; n <= Math.min(limit, hi + aboveBoundaryChecks) && !expired(); n++)
    if (test(n)) failingAbove.push(n);
  return {
    smallest: hi,
    runs,
    monotone: failingAbove.length === 0,
    nonMonotoneAt: failingAbove.length === 0 ? null : failingAbove,
    timedOut: false,
  };
}
