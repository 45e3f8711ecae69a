/**
 * A small, non-throwing JSON parser for replay lines. The engine may not catch exceptions (style
 * E7), so `JSON.parse` cannot be used on untrusted input here; this returns the value or an error
 * message with the column. Accepts exactly RFC 8259 JSON text (one value, optional whitespace).
 */
export type JsonParseResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

export function parseJsonLine(text: string): JsonParseResult {
  const parser = new JsonParser(text);
  const value = parser.parseValue();
  if (parser.error === null) {
    parser.skipWhitespace();
    if (parser.pos < text.length) parser.fail('unexpected text after the JSON value');
  }
  return parser.error === null ? { ok: true, value } : { ok: false, message: parser.error };
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// Everything but '"', '\\' and control characters (U+0000–U+001F are not allowed raw in JSON strings).
const simpleStringChars = new RegExp('[^"\\\\' + String.fromCharCode(0) + '-' + String.fromCharCode(0x1f) + ']*', 'y');
const escapes: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class JsonParser {
  pos = 0;
  error: string | null = null;
  private depth = 0;

  constructor(private readonly text: string) {}

  fail(message: string): undefined {
    if (this.error === null) this.error = `${message} at column ${this.pos + 1}`;
    return undefined;
  }

  skipWhitespace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  parseValue(): unknown {
    this.skipWhitespace();
    if (this.pos >= this.text.length) return this.fail('unexpected end of input');
    const c = this.text[this.pos]!;
    if (c === '{') return this.parseObject();
    if (c === '[') return this.parseArray();
    if (c === '"') return this.parseString();
    if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private parseObject(): unknown {
    if (++this.depth > 64) return this.fail('nesting too deep');
    this.pos++;
    const object: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') return this.fail('expected a string key');
      const key = this.parseString();
      if (this.error !== null) return undefined;
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') return this.fail("expected ':'");
      this.pos++;
      const value = this.parseValue();
      if (this.error !== null) return undefined;
      Object.defineProperty(object, key as string, { value, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === '}') break;
      if (next !== ',') {
        this.pos--;
        return this.fail("expected ',' or '}'");
      }
    }
    this.depth--;
    return object;
  }

  private parseArray(): unknown {
    if (++this.depth > 64) return this.fail('nesting too deep');
    this.pos++;
    const array: unknown[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return array;
    }
    for (;;) {
      const value = this.parseValue();
      if (this.error !== null) return undefined;
      array.push(value);
      this.skipWhitespace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === ']') break;
      if (next !== ',') {
        this.pos--;
        return this.fail("expected ',' or ']'");
      }
    }
    this.depth--;
    return array;
  }

  private parseString(): unknown {
    const text = this.text;
    this.pos++; // opening quote
    let result = '';
    for (;;) {
      simpleStringChars.lastIndex = this.pos;
      simpleStringChars.test(text);
      result += text.slice(this.pos, simpleStringChars.lastIndex);
      this.pos = simpleStringChars.lastIndex;
      if (this.pos >= text.length) return this.fail('unterminated string');
      const c = text[this.pos]!;
      if (c === '"') {
        this.pos++;
        return result;
      }
      if (c !== '\\') return this.fail('control character in string');
      const e = text[this.pos + 1];
      if (e === 'u') {
        const hex = text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return this.fail('bad \\u escape');
        result += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else if (e !== undefined && escapes[e] !== undefined) {
        result += escapes[e];
        this.pos += 2;
      } else {
        return this.fail('bad escape in string');
      }
    }
  }

  private parseNumber(): unknown {
    numberPattern.lastIndex = this.pos;
    const match = numberPattern.exec(this.text);
    if (match === null) return this.fail('bad number');
    this.pos += match[0].length;
    return Number(match[0]);
  }
}
