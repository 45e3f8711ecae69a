import { IdTable } from '../../../src/engine/run/id-table';
import { createPrng } from '../../../src/engine/prng';
import type { OpId } from '../../../src/engine/run/lowered-op';

describe('IdTable (run.mappings)', () => {
  it('behaves like a Map under random set / get / delete of integer and string ids, through growth and shrinkage', () => {
    const rng = createPrng(7);
    const table = new IdTable<number>();
    const model = new Map<OpId, number>();
    const ids: OpId[] = [];
    // Dense windows of growing integers (as generated workloads use them), colliding ids, strings,
    // negative and non-integer numbers (those go to the fallback Map).
    for (let i = 0; i < 3000; i++) ids.push(i, i * 256, 2 ** 31 - 1 - i);
    ids.push('a', 'b', -1, 1.5, 2 ** 31, 2 ** 40);
    // Mismatches are collected and compared once (an expect() per step would dominate the test's time).
    const mismatches: string[] = [];
    for (let step = 0; step < 60_000; step++) {
      // Phases: grow the table to ~2000 live entries, then shrink it, then churn.
      const phase = Math.floor(step / 10_000) % 3;
      const id = ids[rng.nextInt(phase === 2 ? 400 : ids.length)]!;
      const action = rng.nextInt(10);
      if (action < (phase === 1 ? 2 : 5)) {
        table.set(id, step);
        model.set(id, step);
      } else if (action < 8) {
        if (table.delete(id) !== model.delete(id)) mismatches.push(`delete ${id} at ${step}`);
      } else if (table.get(id) !== model.get(id)) mismatches.push(`get ${id} at ${step}`);
      if (step % 1000 === 0) {
        if (table.size !== model.size) mismatches.push(`size at ${step}`);
        for (const [key, value] of model) if (table.get(key) !== value) mismatches.push(`entry ${key} at ${step}`);
      }
    }
    for (const id of ids) if (table.get(id) !== model.get(id)) mismatches.push(`final ${id}`);
    expect(mismatches).toEqual([]);
    expect(table.size).toBe(model.size);
    expect(model.size).toBeGreaterThan(100); // the run really filled the table
  });

  it('finds every entry of a probe run after deleting from its middle (backward-shift deletion)', () => {
    const table = new IdTable<string>();
    // Ids whose Fibonacci hash lands in slot 0 of the initial 256-slot table, so they form one long
    // probe run (if the hash ever changes they merely spread out, and the test still holds).
    const colliding: number[] = [];
    for (let id = 0; colliding.length < 40; id++) if (Math.imul(id, 0x9e3779b1) >>> 24 === 0) colliding.push(id);
    for (const id of colliding) table.set(id, `v${id}`);
    for (let i = 0; i < colliding.length; i += 3) expect(table.delete(colliding[i]!)).toBe(true);
    for (let i = 0; i < colliding.length; i++)
      expect(table.get(colliding[i]!)).toBe(i % 3 === 0 ? undefined : `v${colliding[i]}`);
    expect(table.delete(colliding[0]!)).toBe(false);
  });
});
