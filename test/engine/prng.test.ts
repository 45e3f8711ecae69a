import { createPrng } from '../../src/engine/prng';

describe('createPrng nextInt', () => {
  it('draws exactly what rejection sampling with % gives, for alternating and extreme n', () => {
    const fast = createPrng(12345);
    const reference = createPrng(12345); // the same u32 stream, drawn by the textbook method below
    const referenceInt = (n: number): number => {
      const limit = 2 ** 32 - (2 ** 32 % n);
      let value = reference.nextU32();
      while (value >= limit) value = reference.nextU32();
      return value % n;
    };
    // Alternating sizes (the block workload's pattern, and n that collide in the limit cache),
    // powers of two, n just above 2^31 (half the draws are rejected) and 2^32.
    const ns = [1, 2, 3, 7, 128, 4194303, 4194300, 4194288, 4194272, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 1000003];
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const n = ns[i % ns.length]!;
      const got = fast.nextInt(n);
      const want = referenceInt(n);
      if (got !== want) mismatches.push(`draw ${i}: nextInt(${n}) = ${got}, expected ${want}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
