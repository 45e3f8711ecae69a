import { readFile } from 'node:fs/promises';
import type { CliIo } from './command';
import type { NormalizedScenario } from '../engine/index';
import { parseSpecText } from '../modules/scenario/spec-text';

/** Prints a spec's problems on stderr as `FILE: invalid [WHAT]` and one indented `path: message` line each. */
export function printSpecErrors(
  io: CliIo,
  file: string,
  what: string,
  errors: ReadonlyArray<{ path: string; message: string }>,
): void {
  io.stderr.write(
    `${file}: invalid${what === '' ? '' : ` ${what}`}\n${errors.map((e) => `  ${e.path}: ${e.message}\n`).join('')}`,
  );
}

/**
 * Reads and validates one spec file; null, with the reason printed on stderr, when it cannot be read
 * or is invalid. An unreadable file is reported as `FILE: cannot read (CODE)`, or as `dmasim COMMAND:
 * cannot read FILE (CODE)` when `command` is given (the single-spec commands name themselves).
 */
export async function loadSpecFile(
  file: string,
  io: CliIo,
  options: { readonly command?: string } = {},
): Promise<NormalizedScenario | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    io.stderr.write(
      options.command === undefined
        ? `${file}: cannot read (${code})\n`
        : `dmasim ${options.command}: cannot read ${file} (${code})\n`,
    );
    return null;
  }
  const parsed = parseSpecText(text, file);
  if (!parsed.ok) {
    printSpecErrors(io, file, '', parsed.errors);
    return null;
  }
  return parsed.spec;
}
