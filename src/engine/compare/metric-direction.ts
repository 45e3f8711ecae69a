/**
 * Which way is better for each metric key (the engine's report metric names, engine.md's metric
 * table): most of what dmasim measures is a cost or an exposure, so lower is better; a few are
 * capacity or configuration and have no better direction.
 */
export type MetricPreference = 'lower-is-better' | 'higher-is-better' | 'neutral';

/** Prefixes and exact keys, first match wins; a key matching nothing is neutral. */
const preferences: ReadonlyArray<readonly [RegExp, MetricPreference]> = [
  // Exposure: violations per class, bytes and pages that became host-visible.
  [/^violations\./, 'lower-is-better'],
  [/bytesExposed$/i, 'lower-is-better'],
  [/^conversions\.(leakedPages|decryptPages|encryptPages)$/, 'lower-is-better'],
  // Failures: mappings and allocations the kernel could not satisfy.
  [/^failedMaps$/, 'lower-is-better'],
  [/^failedCoherentAllocs$/, 'lower-is-better'],
  [/^failures\./, 'lower-is-better'],
  [/\.errors$/, 'lower-is-better'],
  // Cost: bounce copies, time, pool pressure.
  [/^cost\./, 'lower-is-better'],
  [/^swiotlb\.hiwater$/, 'lower-is-better'],
  [/^swiotlb\.bouncedBytes(ToDevice|FromDevice)$/, 'lower-is-better'],
  [/\.bounces$/, 'lower-is-better'],
  // Fragmentation headroom: a larger largest free run means fewer failed maps later.
  [/largestFreeRun$/, 'higher-is-better'],
];

export function metricPreference(key: string): MetricPreference {
  return preferences.find(([pattern]) => pattern.test(key))?.[1] ?? 'neutral';
}

/** How a metric moved from baseline to candidate: `better`/`worse` by the key's preference, `neutral` for keys without one, `unchanged` for equal values. */
export type MetricDirection = 'better' | 'worse' | 'neutral' | 'unchanged';

/** The direction of a change whose sign is `sign` (-1, 0, 1; candidate minus baseline). */
export function metricDirection(key: string, sign: number): MetricDirection {
  if (sign === 0) return 'unchanged';
  const preference = metricPreference(key);
  if (preference === 'neutral') return 'neutral';
  return sign < 0 === (preference === 'lower-is-better') ? 'better' : 'worse';
}
