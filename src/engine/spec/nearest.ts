/**
 * "Did you mean …?" for unknown keys and names: the candidate closest to what the user typed.
 * A candidate that contains the typed text (or is contained in it) wins — `dmaMask` means
 * `dmaMaskBits` — otherwise the smallest edit distance, if it is small relative to the length.
 */
export function nearestKey(typed: string, candidates: readonly string[]): string | null {
  const wanted = typed.toLowerCase();
  if (wanted.length === 0) return null;
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    if (lower === wanted) return candidate;
    const contains = wanted.length >= 3 && (lower.includes(wanted) || wanted.includes(lower));
    const distance = editDistance(wanted, lower);
    const limit = Math.max(2, Math.floor(wanted.length / 3));
    if (!contains && distance > limit) continue;
    // Containment ranks ahead of any plain edit; ties keep the first candidate (registry order).
    const score = contains ? Math.abs(lower.length - wanted.length) / 100 : distance;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = value;
    }
  }
  return d[rows * cols - 1]!;
}
