import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson, runScenario } from '../../src/engine/index';
import { parseSpecText } from '../../src/modules/scenario/spec-text';

// canonicalJson defines every spec hash and result hash stored so far: its faster form must write
// the same text as the item-by-item definition below for every value a parser or the engine makes.
function reference(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string')
    return JSON.stringify(value);
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : reference(item))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${reference(item)}`).join(',')}}`;
  }
  return 'null';
}

describe('canonicalJson', () => {
  it('sorts keys at every level by UTF-16 code unit, drops undefined members and writes bigints as strings', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: 2n }], B: 'x', é: null, Z: true })).toBe(
      '{"B":"x","Z":true,"a":[3,{"c":"2"}],"b":1,"é":null}',
    );
  });

  it('writes arrays of scalars and mixed arrays as the item-by-item definition does', () => {
    const values: unknown[] = [
      [],
      [1, -0, 0.1, 1e21, Number.NaN, Number.POSITIVE_INFINITY, -5e-7],
      ['a', '"quoted"', '\u2028', '\ud800', 'é'],
      [true, false, null],
      [1, undefined, 2],
      [1, 2n, 'x'],
      [[1, 2], [], [{ b: 1, a: 2 }]],
      [new Date(0), { toJSON: () => 'ignored' }],
      { a: [Number.NaN, null], b: [{}] },
    ];
    for (const value of values) expect(canonicalJson(value)).toBe(reference(value));
  });

  it('writes every example run report and spec exactly as the definition does', () => {
    const examples = path.join(__dirname, '..', '..', 'examples');
    const files = readdirSync(examples).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(5);
    let compared = 0;
    for (const file of files) {
      const parsed = parseSpecText(readFileSync(path.join(examples, file), 'utf8'));
      if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
      const spec =
        parsed.spec.workload.explicit.length > 0
          ? parsed.spec
          : { ...parsed.spec, workload: { ...parsed.spec.workload, operations: 300 } };
      const report = runScenario(spec);
      expect(canonicalJson(spec)).toBe(reference(spec));
      expect(canonicalJson(report)).toBe(reference(report));
      compared++;
    }
    expect(compared).toBe(files.length);
  });
});
