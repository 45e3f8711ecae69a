import { maxSpecTextBytes, parseSpecText } from '../../../src/modules/scenario/spec-text';
import { baseSpec } from './spec-builders';

describe('parseSpecText', () => {
  it('parses JSON and YAML to the same normalised spec', () => {
    const json = JSON.stringify(baseSpec());
    const yaml = `apiVersion: dmasim/v1
name: test
vm: { platform: sev-snp, memoryMiB: 16384, vcpus: 16 }
kernel: { profile: v7.2 }
devices: [{ id: nvme0, kind: nvme }]
workload:
  operations: 100
  streams: [{ device: nvme0, type: block, data: secret, sizes: { dist: fixed, value: 4096 } }]
`;
    const fromJson = parseSpecText(json, 'spec.json');
    const fromYaml = parseSpecText(yaml, 'spec.yaml');
    expect(fromJson.ok).toBe(true);
    expect(fromYaml).toEqual(fromJson);
  });

  it('reports YAML syntax errors with line:column', () => {
    const result = parseSpecText('apiVersion: dmasim/v1\nname: [unclosed\n', 'bad.yaml');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.message).toMatch(/^YAML syntax error at bad\.yaml:\d+:\d+: /);
  });

  it('reports JSON syntax errors with line:column', () => {
    const result = parseSpecText('{\n  "apiVersion": "dmasim/v1",\n  "name": "x",\n}', 'bad.json');
    expect(!result.ok && result.errors[0]?.message).toMatch(/^JSON syntax error at bad\.json:4:1: /);
    // V8 gives no position for some errors; the message still says what is wrong.
    const noValue = parseSpecText('{\n  "name": \n}', 'bad.json');
    expect(!noValue.ok && noValue.errors[0]?.message).toMatch(/^JSON syntax error at bad\.json: .*not valid JSON/);
  });

  it('rejects duplicate keys', () => {
    expect(parseSpecText('name: a\nname: b\n').ok).toBe(false);
  });

  it('enforces the 1 MiB size cap before parsing (docs/engine-contract.md §2)', () => {
    const result = parseSpecText(`# ${'x'.repeat(maxSpecTextBytes)}\n`);
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '(root)', message: expect.stringMatching(/limit is 1048576/) }],
    });
  });

  it('rejects empty text and non-mapping documents', () => {
    expect(parseSpecText('   \n')).toMatchObject({ ok: false, errors: [{ message: 'spec is empty' }] });
    expect(parseSpecText('- a\n- b\n')).toMatchObject({ ok: false, errors: [{ path: '(root)' }] });
  });

  it('bounds alias expansion (no billion laughs)', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    expect(parseSpecText(bomb)).toMatchObject({
      ok: false,
      errors: [{ path: '(root)', message: expect.stringMatching(/alias/i) }],
    });
  });
});
