import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario } from '../../../src/engine/index';
import { deepFreeze } from '../../../src/modules/run/run.executor';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';

// An engine thread keeps checked specs and runs many runs on one deep-frozen spec object
// (RunExecutor's specCache): the engine must only read its spec. Writing to a frozen object throws
// in strict-mode code, so a run that wrote to its spec would fail here.
describe('the engine and a deep-frozen spec', () => {
  it('runs every example on a frozen spec to the same report as on a fresh one', () => {
    const examples = path.join(__dirname, '..', '..', '..', 'examples');
    const files = readdirSync(examples).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(path.join(examples, file), 'utf8');
      const parse = () => {
        const parsed = parseSpecText(text);
        if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
        const spec = parsed.spec;
        return spec.workload.explicit.length > 0 ? spec : { ...spec, workload: { ...spec.workload, operations: 400 } };
      };
      const frozen = deepFreeze(parse());
      expect(Object.isFrozen(frozen.workload)).toBe(true);
      const first = runScenario(frozen);
      const second = runScenario(frozen);
      expect(first.resultHash).toBe(runScenario(parse()).resultHash);
      expect(second.resultHash).toBe(first.resultHash);
    }
  });

  it('freezes nested objects and arrays, and leaves typed arrays as they are', () => {
    const value = deepFreeze({ a: [{ b: 1 }], c: new Uint8Array(2) });
    expect(Object.isFrozen(value.a[0])).toBe(true);
    expect(() => {
      'use strict';
      (value.a as unknown as number[]).push(1);
    }).toThrow(TypeError);
    value.c[0] = 7;
    expect(value.c[0]).toBe(7);
  });
});
