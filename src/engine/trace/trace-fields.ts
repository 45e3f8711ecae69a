/**
 * Reads the `key=value` text TP_printk prints for the dma and swiotlb events. Values are what the
 * kernel's format specifiers print: `%llx` addresses without `0x`, `%zu` sizes in decimal,
 * `__print_array()` arrays as `{0x1000,0x2000}`, `__print_flags()` as `A|B` (empty when no flag is
 * set), `__print_symbolic()` as a bare word.
 */

/** A problem in the trace text, at a 1-based line and column. */
export interface TraceError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface FieldToken {
  readonly value: string;
  /** 0-based column of the value in the line. */
  readonly column: number;
}

export interface EventFields {
  /** The first word: dev_name(dev). */
  readonly device: FieldToken;
  readonly fields: ReadonlyMap<string, FieldToken>;
  /** Bare words after the device (e.g. `[TRUNCATED]`, swiotlb's `FORCE`/`NORMAL`). */
  readonly words: readonly FieldToken[];
}

/** Splits an event body into the device name, `key=value` fields and bare words. */
export function splitFields(
  body: string,
  bodyOffset: number,
  devicePrefix = '',
): EventFields | { readonly error: string; readonly column: number } {
  const tokens: FieldToken[] = [];
  const word = /\S+/g;
  for (let m = word.exec(body); m !== null; m = word.exec(body))
    tokens.push({ value: m[0], column: bodyOffset + m.index });
  let start = 0;
  if (devicePrefix !== '') {
    if (tokens[0]?.value !== devicePrefix)
      return { error: `expected '${devicePrefix}' before the device name`, column: tokens[0]?.column ?? bodyOffset };
    start = 1;
  }
  const device = tokens[start];
  if (device === undefined || device.value.includes('='))
    return { error: 'missing device name', column: device?.column ?? bodyOffset };
  const fields = new Map<string, FieldToken>();
  const words: FieldToken[] = [];
  for (const token of tokens.slice(start + 1)) {
    const eq = token.value.indexOf('=');
    if (eq <= 0) words.push(token);
    else fields.set(token.value.slice(0, eq), { value: token.value.slice(eq + 1), column: token.column + eq + 1 });
  }
  return { device, fields, words };
}

/** A field parse failure: message plus the column to report. */
export class FieldProblem {
  constructor(
    readonly message: string,
    readonly column: number,
  ) {}
}

export function field(fields: EventFields, key: string, bodyColumn: number): FieldToken | FieldProblem {
  return fields.fields.get(key) ?? new FieldProblem(`missing field '${key}='`, bodyColumn);
}

/** `%llx`: hex digits without a prefix (a `0x` prefix is accepted too). Returns lowercase `0x…`. */
export function hexField(token: FieldToken, key: string): string | FieldProblem {
  const digits = token.value.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,16}$/.test(digits))
    return new FieldProblem(`${key}: '${token.value}' is not a 64-bit hex number`, token.column);
  return `0x${digits.toLowerCase().replace(/^0+(?=.)/, '')}`;
}

/** `%zu` / `%u`: a decimal size; `allowZero` for dma_alloc's failed allocations. */
export function sizeField(token: FieldToken, key: string, allowZero = false): number | FieldProblem {
  if (!/^\d{1,16}$/.test(token.value))
    return new FieldProblem(`${key}: '${token.value}' is not a decimal size`, token.column);
  const n = Number(token.value);
  if (!Number.isSafeInteger(n) || (n === 0 && !allowZero))
    return new FieldProblem(`${key}: size ${token.value} is out of range`, token.column);
  return n;
}

/** `__print_array()`: `{0x1000,0x2000}` or `{}`; elements as lowercase `0x…` strings. */
export function arrayField(token: FieldToken, key: string): string[] | FieldProblem {
  const text = token.value;
  if (!text.startsWith('{') || !text.endsWith('}'))
    return new FieldProblem(`${key}: '${text}' is not an array such as {0x1000,0x2000}`, token.column);
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  const out: string[] = [];
  let column = token.column + 1;
  for (const element of inner.split(',')) {
    if (!/^0x[0-9a-fA-F]{1,16}$/.test(element))
      return new FieldProblem(`${key}: element '${element}' is not a hex number`, column);
    out.push(
      `0x${element
        .slice(2)
        .toLowerCase()
        .replace(/^0+(?=.)/, '')}`,
    );
    column += element.length + 1;
  }
  return out;
}

export const directionNames: Readonly<Record<string, 'to-device' | 'from-device' | 'bidirectional' | 'none'>> = {
  TO_DEVICE: 'to-device',
  FROM_DEVICE: 'from-device',
  BIDIRECTIONAL: 'bidirectional',
  NONE: 'none',
};
