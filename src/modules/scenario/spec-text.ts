import { LineCounter, parseDocument } from 'yaml';
import { type NormalizedScenario, type SpecIssue, validateScenario } from '../../engine/spec/validate';

/** Largest spec text accepted, in UTF-8 bytes (engine.md §2: a total spec size cap). */
export const maxSpecTextBytes = 1024 * 1024;

export type SpecTextResult = { readonly ok: true; readonly spec: NormalizedScenario } | { readonly ok: false; readonly errors: readonly SpecIssue[] };

export type SpecTextFormat = 'json' | 'yaml';

/** JSON when the name ends in .json or the text starts with `{`; YAML otherwise. */
export function detectSpecFormat(text: string, sourceName?: string): SpecTextFormat {
  if (sourceName !== undefined && /\.json$/i.test(sourceName)) return 'json';
  if (sourceName !== undefined && /\.ya?ml$/i.test(sourceName)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/**
 * Parses spec text (JSON or YAML) and validates it. Enforces the size cap before parsing; syntax
 * errors carry line:column; nothing throws. YAML is parsed with unique keys and a bounded alias
 * expansion (no billion-laughs); JSON is parsed by the YAML 1.2 parser too (JSON is a subset), so
 * both formats report positions the same way.
 */
export function parseSpecText(text: string, sourceName?: string): SpecTextResult {
  const sizeBytes = Buffer.byteLength(text, 'utf8');
  if (sizeBytes > maxSpecTextBytes) return { ok: false, errors: [{ path: '(root)', message: `spec is ${sizeBytes} bytes; the limit is ${maxSpecTextBytes} (1 MiB)` }] };
  if (text.trim() === '') return { ok: false, errors: [{ path: '(root)', message: 'spec is empty' }] };
  const format = detectSpecFormat(text, sourceName);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        const where = sourceName === undefined ? '' : `${sourceName}:`;
        return { path: '(root)', message: `${format === 'json' ? 'JSON' : 'YAML'} syntax error at ${where}${position.line}:${position.col}: ${error.message.split('\n')[0]}` };
      }),
    };
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ path: '(root)', message: 'a spec must be a mapping (apiVersion, name, vm, kernel, devices, workload, …)' }] };
  }
  return validateScenario(value);
}
