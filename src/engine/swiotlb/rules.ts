/**
 * The allocator rule sets (reference §5.11). They differ in three places:
 * - alignment during the search: v6.6 matches only `orig`'s bits under one combined mask and
 *   never forces the slot itself to be aligned; v6.9+ forces `alloc_align_mask` alignment of the
 *   slot and matches `orig` only under the min-align bits above it (Will Deacon's fixes);
 * - pre-padding: v6.9+ may put whole padding slots before the buffer (`pad_slots`);
 * - request size: v6.6 and v6.9 search `alloc_size + offset`; v6.10 searches
 *   `ALIGN(mapping_size + offset, alloc_align_mask + 1)`.
 * Free-run counters are also initialised differently for pools that are not a multiple of 128.
 */
export type AllocatorRules = 'v6.6' | 'v6.9' | 'v6.10';

export const allocatorRuleSets: readonly AllocatorRules[] = ['v6.6', 'v6.9', 'v6.10'];

export function isAllocatorRules(value: unknown): value is AllocatorRules {
  return value === 'v6.6' || value === 'v6.9' || value === 'v6.10';
}
