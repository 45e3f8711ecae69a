/**
 * Zeller and Hildebrandt's ddmin: the smallest subsequence of `items` (1-minimal: removing any one
 * item makes `keeps` false) for which `keeps` holds, assuming it holds for `items`. Tries each of
 * n chunks, then each complement; on no progress doubles n. `stop()` ends the search early with
 * the best set so far (then not necessarily 1-minimal).
 */
export function ddmin<T>(
  items: readonly T[],
  keeps: (candidate: readonly T[]) => boolean,
  stop: () => boolean = () => false,
): { readonly items: readonly T[]; readonly complete: boolean } {
  let current = items;
  let n = 2;
  while (current.length >= 2) {
    if (stop()) return { items: current, complete: false };
    const chunks = split(current, n);
    let progressed = false;
    for (const chunk of chunks) {
      if (keeps(chunk)) {
        current = chunk;
        n = 2;
        progressed = true;
        break;
      }
    }
    if (!progressed && n > 2) {
      for (let i = 0; i < chunks.length; i++) {
        const complement = chunks.filter((_, j) => j !== i).flat();
        if (keeps(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          progressed = true;
          break;
        }
      }
    }
    if (!progressed) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  return { items: current, complete: true };
}

function split<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    out.push(items.slice(start, end));
    start = end;
  }
  return out.filter((c) => c.length > 0);
}
