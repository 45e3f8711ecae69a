/**
 * Exact decimal arithmetic for metric deltas: metrics are stored as text (bigint counters, byte
 * totals, nanoseconds), so differences are taken exactly instead of through floating point.
 */
export interface Decimal {
  readonly units: bigint;
  /** The value is units × 10^-scale. */
  readonly scale: number;
}

/** Parses a plain or exponent decimal string exactly; null for anything else (NaN, text metrics). */
export function parseDecimal(text: string): Decimal | null {
  const match = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return null;
  const [, sign = '', whole = '0', fraction = '', exponentText = '0'] = match;
  let units = BigInt(`${whole}${fraction}`) * (sign === '-' ? -1n : 1n);
  let scale = fraction.length - Number(exponentText);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return { units: x - y, scale };
}

export function multiply(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x === y ? 0 : x > y ? 1 : -1;
}

/** Shortest exact decimal text: trailing fractional zeros dropped. */
export function formatDecimal(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = value.scale > 0 ? digits.slice(digits.length - value.scale).replace(/0+$/, '') : '';
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && text !== '0' ? `-${text}` : text;
}
