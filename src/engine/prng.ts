/**
 * The engine's only source of randomness: a seeded xoshiro128** generator (public domain, Blackman
 * and Vigna). Same seed, same sequence, on every platform: the state is 32-bit integer arithmetic.
 */
export interface Prng {
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform integer in [0, n), n ≤ 2^32 (rejection sampling, no modulo bias). */
  nextInt(n: number): number;
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number;
}

/** splitmix32 expands one seed into the generator's four state words. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createPrng(seed: number): Prng {
  const expand = splitmix32(seed);
  let s0 = expand();
  let s1 = expand();
  let s2 = expand();
  let s3 = expand();
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21); // rotl(s3, 11), kept an int32 (every use of s3 is bitwise)
    return result;
  };
  // Rejection limits by n, in a small hashed cache: a workload draws for a handful of different
  // n (one per request size), often alternating, and 2^32 % n is a floating-point remainder.
  const cachedN = new Float64Array(16);
  const cachedLimit = new Float64Array(16);
  return {
    nextU32,
    nextInt(n) {
      const slot = Math.imul(n, 0x9e3779b1) >>> 28;
      let limit = cachedLimit[slot]!;
      if (cachedN[slot] !== n) {
        limit = 2 ** 32 - (2 ** 32 % n);
        cachedN[slot] = n;
        cachedLimit[slot] = limit;
      }
      let value = nextU32();
      while (value >= limit) value = nextU32();
      // value % n without the floating-point remainder: value / n rounds to within 2^-53 of the
      // quotient, which is at least 1/n from the next integer (value < 2^32), so floor() is exact.
      return value - Math.floor(value / n) * n;
    },
    nextFloat: () => nextU32() / 2 ** 32,
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
