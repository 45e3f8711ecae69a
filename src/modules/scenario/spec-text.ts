import { LineCounter, parseDocument } from 'yaml';
import { type NormalizedScenario, type SpecIssue, validateScenario } from '../../engine/spec/validate';

/** Largest spec text accepted (engine.md §2: a total spec size cap). */
export const maxSpecTextBytes = 1024 * 1024;

export type SpecTextResult = { readonly ok: true; readonly spec: NormalizedScenario } | { readonly ok: false; readonly errors: readonly SpecIssue[] };

/**
 * Parses spec text — JSON if it starts with `{`, YAML otherwise (YAML is a superset) — and
 * validates it. Syntax errors carry line:column; nothing throws.
 */
export function parseSpecText(text: string): SpecTextResult {
  const sizeBytes = Buffer.byteLength(text, 'utf8');
  if (sizeBytes > maxSpecTextBytes) return { ok: false, errors: [{ path: '(root)', message: `spec is ${sizeBytes} bytes; the limit is ${maxSpecTextBytes}` }] };
  if (text.trim() === '') return { ok: false, errors: [{ path: '(root)', message: 'spec is empty' }] };
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { path: '(root)', message: `${text.trimStart().startsWith('{') ? 'JSON' : 'YAML'} syntax error at line ${position.line}, column ${position.col}: ${error.message.split('\n')[0]}` };
      }),
    };
  }
  return validateScenario(document.toJS({ maxAliasCount: 100 }));
}
