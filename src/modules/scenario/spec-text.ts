import { CST, Lexer, LineCounter, parseDocument } from 'yaml';
import { type NormalizedScenario, type SpecIssue, validateScenario } from '../../engine/index';

/** Largest spec text accepted, in UTF-8 bytes (docs/engine-contract.md §2: a total spec size cap). */
export const maxSpecTextBytes = 1024 * 1024;

/**
 * Deepest nesting accepted in spec text, counted before any parsing: brackets and braces, block
 * indentation levels and compact `- ` / `? ` items on one line. Real specs nest about six levels;
 * without a bound, a few hundred KB of `[` keep the parsers busy for seconds and overflow the stack.
 */
export const maxSpecNestingDepth = 64;

export type SpecTextResult =
  | { readonly ok: true; readonly spec: NormalizedScenario }
  | { readonly ok: false; readonly errors: readonly SpecIssue[] };

export type SpecTextFormat = 'json' | 'yaml';

/** JSON when the name ends in .json or the text starts with `{`; YAML otherwise. */
export function detectSpecFormat(text: string, sourceName?: string): SpecTextFormat {
  if (sourceName !== undefined && /\.json$/i.test(sourceName)) return 'json';
  if (sourceName !== undefined && /\.ya?ml$/i.test(sourceName)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/**
 * Parses spec text (JSON or YAML) and validates it. Enforces the size cap before parsing; syntax
 * errors carry line:column (JSON: when V8 reports a position); nothing throws. YAML is parsed
 * with unique keys and a bounded alias expansion (no billion laughs); JSON is checked with
 * JSON.parse first (strict), then read through the same YAML 1.2 parser (JSON is a subset).
 */
export function parseSpecText(text: string, sourceName?: string): SpecTextResult {
  const sizeBytes = Buffer.byteLength(text, 'utf8');
  if (sizeBytes > maxSpecTextBytes)
    return {
      ok: false,
      errors: [{ path: '(root)', message: `spec is ${sizeBytes} bytes; the limit is ${maxSpecTextBytes} (1 MiB)` }],
    };
  if (text.trim() === '') return { ok: false, errors: [{ path: '(root)', message: 'spec is empty' }] };
  const format = detectSpecFormat(text, sourceName);
  const where = sourceName === undefined ? '' : `${sourceName}:`;
  const tooDeep = nestingBeyond(text, maxSpecNestingDepth);
  if (tooDeep !== undefined) {
    const position = lineColumn(text, tooDeep);
    return {
      ok: false,
      errors: [
        {
          path: '(root)',
          message: `spec nests deeper than ${maxSpecNestingDepth} levels at ${where}${position}; refused before parsing`,
        },
      ],
    };
  }
  if (format === 'json') {
    const jsonError = jsonSyntaxError(text);
    if (jsonError !== undefined) {
      const position = jsonError.position === undefined ? '' : ` ${lineColumn(text, jsonError.position)}`;
      return {
        ok: false,
        errors: [
          {
            path: '(root)',
            message: `JSON syntax error at ${where}${position.trim()}${position ? ': ' : ' '}${jsonError.message}`,
          },
        ],
      };
    }
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return {
          path: '(root)',
          message: `${format === 'json' ? 'JSON' : 'YAML'} syntax error at ${where}${position.line}:${position.col}: ${error.message.split('\n')[0]}`,
        };
      }),
    };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error: unknown) {
    // yaml throws a ReferenceError when alias expansion exceeds maxAliasCount (billion laughs): an input error, not a crash.
    return {
      ok: false,
      errors: [
        {
          path: '(root)',
          message: `YAML alias expansion refused: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      errors: [
        { path: '(root)', message: 'a spec must be a mapping (apiVersion, name, vm, kernel, devices, workload, …)' },
      ],
    };
  }
  return validateScenario(value);
}

/**
 * The offset where the text first nests deeper than `limit`, or undefined. One pass over YAML's
 * lexer (iterative, and it knows quoted strings, comments and block scalars, so brackets inside
 * them do not count); JSON is YAML 1.2 flow syntax, so the same pass covers it. Stops at the first
 * token past the limit, so a hostile input costs no more than its first levels.
 */
export function nestingBeyond(text: string, limit: number): number | undefined {
  let offset = 0;
  let flowDepth = 0;
  let compactOnLine = 0;
  let lineIndent = 0;
  let atLineStart = true;
  let lineCounted = false;
  const indents: number[] = [];
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    // The lexer's markers (document start, scalar start, flow error end) are not source text.
    if (type === 'doc-mode' || type === 'flow-error-end' || (type === 'scalar' && token === CST.SCALAR)) continue;
    const start = offset;
    offset += token.length;
    if (type === 'newline') {
      atLineStart = true;
      lineCounted = false;
      compactOnLine = 0;
      lineIndent = 0;
      continue;
    }
    if (type === 'space') {
      if (atLineStart) lineIndent = token.length;
      atLineStart = false;
      continue;
    }
    atLineStart = false;
    if (type === 'comment') continue;
    if (!lineCounted && flowDepth === 0) {
      // A new block line: its indentation closes deeper levels or opens one.
      lineCounted = true;
      while (indents.length > 0 && (indents.at(-1) ?? 0) > lineIndent) indents.pop();
      if (indents.length === 0 || (indents.at(-1) ?? 0) < lineIndent) indents.push(lineIndent);
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') flowDepth += 1;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flowDepth = Math.max(0, flowDepth - 1);
    else if ((type === 'seq-item-ind' || type === 'explicit-key-ind') && flowDepth === 0) compactOnLine += 1;
    if (indents.length + compactOnLine + flowDepth > limit) return start;
  }
  return undefined;
}

/** JSON.parse's complaint, with the character offset when the message carries one (V8 omits it for some errors). */
function jsonSyntaxError(text: string): { message: string; position?: number } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error: unknown) {
    // JSON.parse throws SyntaxError for every malformed input; that is the answer, not a failure.
    const message = error instanceof Error ? error.message : String(error);
    const match = /at position (\d+)/.exec(message);
    const firstLine = message.replace(/\s+/g, ' ');
    return match ? { message: firstLine, position: Number(match[1]) } : { message: firstLine };
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}
