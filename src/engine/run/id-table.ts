import type { OpId } from './lowered-op';

/** Smallest capacity (slots) of the integer table; a power of two. */
const MIN_CAPACITY = 256;
/** Marks an empty slot in `keys` (ids stored there are 0 .. 2^31 - 1). */
const EMPTY = -1;

/**
 * Live objects by op id, for the run's hot path (`run.mappings`). Generated workloads name their
 * requests with small non-negative integers that grow without bound while only `queueDepth` of
 * them are live; a `Map` keyed by them keeps appending entries and deleted slots until it
 * rehashes, which showed up as the largest single cost of the full-engine benchmark. Here the
 * integer ids live in an open-addressing table (linear probing, Fibonacci hashing, deletion by
 * backward shift, so no tombstones and no allocation once the table has grown to fit); any other
 * id (the spec's strings) goes to a `Map`. Same semantics as a `Map` for get / set / delete.
 */
export class IdTable<T> {
  private keys = new Int32Array(MIN_CAPACITY).fill(EMPTY);
  private values: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
  /** 32 - log2(capacity): the hash is the top bits of `id * 2654435769`. */
  private shift = 32 - Math.log2(MIN_CAPACITY);
  private used = 0;
  private readonly other = new Map<OpId, T>();

  /** Live entries. */
  get size(): number {
    return this.used + this.other.size;
  }

  get(id: OpId): T | undefined {
    if (typeof id !== 'number' || !isSmallId(id)) return this.other.get(id);
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let slot = Math.imul(id, 0x9e3779b1) >>> this.shift; ; slot = (slot + 1) & mask) {
      const key = keys[slot]!;
      if (key === id) return this.values[slot];
      if (key === EMPTY) return undefined;
    }
  }

  set(id: OpId, value: T): void {
    if (typeof id !== 'number' || !isSmallId(id)) {
      this.other.set(id, value);
      return;
    }
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let slot = Math.imul(id, 0x9e3779b1) >>> this.shift; ; slot = (slot + 1) & mask) {
      const key = keys[slot]!;
      if (key === id) {
        this.values[slot] = value;
        return;
      }
      if (key === EMPTY) {
        keys[slot] = id;
        this.values[slot] = value;
        this.used++;
        return;
      }
    }
  }

  /** Removes `id`; returns whether it was present. */
  delete(id: OpId): boolean {
    if (typeof id !== 'number' || !isSmallId(id)) return this.other.delete(id);
    const keys = this.keys;
    const values = this.values;
    const mask = keys.length - 1;
    let slot = Math.imul(id, 0x9e3779b1) >>> this.shift;
    for (; ; slot = (slot + 1) & mask) {
      const key = keys[slot]!;
      if (key === id) break;
      if (key === EMPTY) return false;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole when their home
    // slot is not cyclically inside (hole, their slot], so every lookup still finds them.
    let hole = slot;
    for (let next = (hole + 1) & mask; ; next = (next + 1) & mask) {
      const key = keys[next]!;
      if (key === EMPTY) break;
      const home = Math.imul(key, 0x9e3779b1) >>> this.shift;
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      keys[hole] = key;
      values[hole] = values[next];
      hole = next;
    }
    keys[hole] = EMPTY;
    values[hole] = undefined;
    this.used--;
    return true;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const capacity = oldKeys.length * 2;
    this.keys = new Int32Array(capacity).fill(EMPTY);
    this.values = new Array<T | undefined>(capacity).fill(undefined);
    this.shift--;
    this.used = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY) this.set(oldKeys[i]!, oldValues[i] as T);
  }
}

/** An id the integer table holds: an integer in [0, 2^31). */
function isSmallId(id: number): boolean {
  return (id | 0) === id && id >= 0;
}
