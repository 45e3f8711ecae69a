import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { findTextProblem, textProblem } from '../../../src/api/input-text';
import { decodeCursor, encodeCursor } from '../../../src/modules/common/cursor';
import { likeLiteral } from '../../../src/modules/common/like-pattern';
import { maxSpecNestingDepth, nestingBeyond, parseSpecText } from '../../../src/modules/scenario/spec-text';

// Pure parts of the input hardening: spec nesting bound, text checks, cursors, LIKE literals.
describe('spec nesting bound', () => {
  const examples = path.join(__dirname, '..', '..', '..', 'examples');
  const hostile: Array<[string, string]> = [
    ['unterminated JSON brackets', `{"a":${'['.repeat(300_000)}`],
    ['balanced JSON brackets', `{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`],
    ['YAML flow brackets', `a: ${'['.repeat(300_000)}`],
    ['compact YAML sequences', `a:\n${'- '.repeat(150_000)}x`],
    ['YAML indentation', `a:\n${Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} x`],
    ['brackets hidden between quoted closers', `a: ${'[ "]", '.repeat(5000)}`],
  ];

  it.each(hostile)('refuses %s before parsing, naming the limit and position', (_name, text) => {
    const result = parseSpecText(text);

    expect(result.ok).toBe(false);
    const message = result.ok ? '' : (result.errors[0]?.message ?? '');
    expect(message).toMatch(new RegExp(`nests deeper than ${maxSpecNestingDepth} levels at \\d+:\\d+`));
    expect(message).not.toMatch(/call stack/i);
  });

  it('does not count brackets inside quoted strings, comments or block scalars', () => {
    const text = `a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\nc: |\n  ${'['.repeat(500)}\n# ${'['.repeat(500)}\n`;

    expect(nestingBeyond(text, 8)).toBeUndefined();
  });

  it('accepts every shipped example, which nest far less than the limit', () => {
    const files = readdirSync(examples).filter((file) => /\.(ya?ml|json)$/.test(file));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(path.join(examples, file), 'utf8');
      expect([file, nestingBeyond(text, 16)]).toEqual([file, undefined]);
    }
  });

  it('measures block and flow nesting together', () => {
    expect(nestingBeyond('a:\n  b:\n    c: [[1]]\n', 5)).toBeUndefined();
    expect(nestingBeyond('a:\n  b:\n    c: [[1]]\n', 4)).toBeDefined();
  });
});

describe('text inputs', () => {
  it('flags NUL and lone surrogates, and accepts paired surrogates', () => {
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    expect(textProblem('a\uD800b')).toMatch(/surrogate/);
    expect(textProblem('a\uDC00')).toMatch(/surrogate/);
    expect(textProblem('\uD83D\uDE00 ok')).toBeUndefined();
    expect(textProblem('plain')).toBeUndefined();
  });

  it('names the path of the first bad string in nested input, keys included', () => {
    expect(findTextProblem({ name: 'ok', tags: ['a', 'b\u0000'] }, ['input'])).toEqual({
      path: ['input', 'tags', '1'],
      message: 'input.tags.1 contains a NUL character (U+0000)',
    });
    expect(findTextProblem({ ['k\uD800']: 1 }, ['input'])?.path).toEqual(['input']);
    expect(findTextProblem({ when: new Date(0), n: 5n, ok: 'x' }, ['input'])).toBeUndefined();
  });
});

describe('cursors', () => {
  it('round-trips a real cursor', () => {
    const key = { createdAt: new Date('2026-12-04T10:00:00.000Z'), id: '6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f' };

    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it.each([
    ['a non-UUID id', ['2026-12-04T10:00:00.000Z', 'not-a-uuid']],
    ['dashes only', ['2026-12-04T10:00:00.000Z', '------------------------------------']],
    ['a NUL in the id', ['2026-12-04T10:00:00.000Z', '\u0000']],
    ['a date PostgreSQL cannot hold', ['+275760-09-13T00:00:00.000Z', '6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f']],
    ['a number for a date', [5, '6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f']],
    ['not an array', null],
  ])('refuses a forged cursor with %s as BAD_USER_INPUT', (_name, payload) => {
    const forged = Buffer.from(JSON.stringify(payload)).toString('base64url');

    expect(() => decodeCursor(forged)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});

describe('LIKE literals', () => {
  it('escapes %, _ and the backslash', () => {
    expect(likeLiteral('100%_a\\b')).toBe('100\\%\\_a\\\\b');
    expect(likeLiteral('plain')).toBe('plain');
  });
});
