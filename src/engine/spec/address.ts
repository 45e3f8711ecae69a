import { invariant } from '../invariant';

/**
 * Branded 64-bit quantities. Addresses and masks are `bigint` everywhere in the
 * engine — JS bit operators are 32-bit (docs/kernel-dma.md §5.11 item 4) — and are built only through these
 * validating constructors (a bad value is a bug: the validator checked the spec, so they
 * assert with invariant()). Specs carry them as hex strings.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A guest physical address (phys_addr_t). */
export type PhysAddr = Brand<bigint, 'PhysAddr'>;
/** A bus address a device uses (dma_addr_t): phys plus the platform's encoding bits. */
export type DmaAddr = Brand<bigint, 'DmaAddr'>;
/** A mask of the form 2^n - 1 (DMA_BIT_MASK(n), min_align_mask, segment boundary). */
export type BitMask = Brand<bigint, 'BitMask'>;

export const U64_MAX = (1n << 64n) - 1n;
const hexPattern = /^0x[0-9a-fA-F]{1,16}$/;

export function isHexString(value: string): boolean {
  return hexPattern.test(value);
}

export function isPowerOfTwoMinusOne(value: bigint): boolean {
  return value >= 0n && (value & (value + 1n)) === 0n;
}

function toU64(value: string | bigint | number, what: string): bigint {
  let result: bigint;
  if (typeof value === 'bigint') result = value;
  else if (typeof value === 'number') {
    invariant(Number.isSafeInteger(value), `${what}: ${value} is not a safe integer`);
    result = BigInt(value);
  } else {
    invariant(isHexString(value), `${what}: '${value}' is not a hex string such as "0x1000"`);
    result = BigInt(value);
  }
  invariant(result >= 0n && result <= U64_MAX, `${what}: ${result} is outside 0..2^64-1`);
  return result;
}

/** Builds a PhysAddr from a hex string, bigint or safe integer. */
export function toPhysAddr(value: string | bigint | number): PhysAddr {
  return toU64(value, 'phys') as PhysAddr;
}

export function toDmaAddr(value: bigint): DmaAddr {
  return toU64(value, 'dma address') as DmaAddr;
}

/** Builds a mask; it must be 2^n - 1. */
export function toBitMask(value: string | bigint | number): BitMask {
  const mask = toU64(value, 'mask');
  invariant(isPowerOfTwoMinusOne(mask), `mask 0x${mask.toString(16)} is not 2^n - 1`);
  return mask as BitMask;
}

/** DMA_BIT_MASK(n). */
export function dmaBitMask(bits: number): BitMask {
  invariant(Number.isInteger(bits) && bits >= 0 && bits <= 64, `DMA_BIT_MASK(${bits}): bits must be 0..64`);
  return ((1n << BigInt(bits)) - 1n) as BitMask;
}

/** min_not_zero(a, b), as the kernel uses it for masks and bus limits. */
export function minNotZero(a: bigint, b: bigint): bigint {
  if (a === 0n) return b;
  if (b === 0n) return a;
  return a < b ? a : b;
}

/** fls64(): 1-based index of the highest set bit, 0 for 0. */
export function fls64(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

export function formatHex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
