import { UsageError } from './command';

/** Which flags a command takes: `value` flags read the next argument, `list` flags may repeat, `switch` flags take none. */
export type FlagKinds = Readonly<Record<string, 'value' | 'list' | 'switch'>>;

export interface ParsedFlags {
  readonly positional: readonly string[];
  readonly values: ReadonlyMap<string, string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly switches: ReadonlySet<string>;
}

/** Splits argv into positional arguments and the declared flags; an unknown or valueless flag is a UsageError. */
export function parseSimpleFlags(args: readonly string[], kinds: FlagKinds): ParsedFlags {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const kind = kinds[arg];
    if (kind === undefined) throw new UsageError(`unknown flag '${arg}'`);
    if (kind === 'switch') {
      switches.add(arg);
      continue;
    }
    const value = args[++i];
    if (value === undefined || (value.startsWith('--') && value.length > 2))
      throw new UsageError(`${arg} needs a value`);
    if (kind === 'list') lists.set(arg, [...(lists.get(arg) ?? []), value]);
    else if (values.has(arg)) throw new UsageError(`${arg} given twice`);
    else values.set(arg, value);
  }
  return { positional, values, lists, switches };
}

/** A positive integer flag value (or the default); `max` bounds it. */
export function intFlag(
  flags: ParsedFlags,
  name: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = flags.values.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new UsageError(`${name}: '${text}' is not an integer from ${min} to ${max}`);
  return n;
}

/** The value after a flag at `args[index]` for commands that walk argv themselves (run, review); a UsageError when missing. */
export function flagValue(args: readonly string[], index: number, flag: string): string {
  const value = args[index];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  return value;
}

/** `--json` or `--md` given at `arg`, on top of the format chosen so far ('text' until then); the two exclude each other. */
export function outputFormatFlag(current: 'text' | 'json' | 'md', arg: '--json' | '--md'): 'json' | 'md' {
  const next = arg === '--json' ? 'json' : 'md';
  if (current !== 'text' && current !== next) throw new UsageError('--json and --md exclude each other');
  return next;
}
