import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseJsonLine, replaySwiotlbTrace } from '../../../src/engine/swiotlb/index';

const setup =
  '{"pool":{"nslabs":1024,"nareas":1,"start":"0x80000000"},"device":{"minAlignMask":"0x0","segBoundaryMask":"0xffffffff"},"rules":"v6.10"}';

describe('replaySwiotlbTrace (docs/engine-contract.md §6.1, pure, text lines)', () => {
  it('prints one line per map and the counters', () => {
    // 4 KiB at slot 0 (index → 2); unmap; 2 KiB map starts at the next-fit index 2 → 0x80001000.
    // used 1, hiwater 2.
    const result = replaySwiotlbTrace([
      setup,
      '{"op":"map","id":"a","cpu":0,"orig":"0x100000000","size":4096}',
      '',
      '{"op":"unmap","id":"a"}',
      '{"op":"map","id":"b","cpu":0,"orig":"0x100000800","size":2048,"allocAlignMask":"0x0"}',
    ]);

    expect(result).toEqual({
      ok: true,
      output: [
        '{"id":"a","slot":0,"tlb":"0x80000000"}',
        '{"id":"b","slot":2,"tlb":"0x80001000"}',
        '{"used":1,"hiwater":2}',
      ],
    });
  });

  it.each([
    ['an unknown op', [setup, '{"op":"sync","id":"a"}'], 2, /unknown op "sync"/],
    [
      'an unmap of an unknown id',
      [setup, '{"op":"map","id":"a","cpu":0,"orig":"0x0","size":1}', '{"op":"unmap","id":"zz"}'],
      3,
      /unknown id "zz"/,
    ],
    ['malformed JSON (blank lines still count)', [setup, '', '{"op":"map",'], 3, /malformed JSON/],
    ['a missing setup line', ['{"op":"map","id":"a","cpu":0,"orig":"0x0","size":1}'], 1, /setup line needs "pool"/],
    ['an empty trace', [], 1, /empty trace/],
    ['a bad field', [setup, '{"op":"map","id":"a","cpu":0,"orig":"12","size":1}'], 2, /orig must be a hex string/],
    ['a negative size', [setup, '{"op":"map","id":"a","cpu":0,"orig":"0x0","size":-4}'], 2, /size must be an integer/],
    [
      'unknown rules',
      [
        '{"pool":{"nslabs":8,"nareas":1,"start":"0x0"},"device":{"minAlignMask":"0x0","segBoundaryMask":"0xfff"},"rules":"v5.0"}',
      ],
      1,
      /rules must be/,
    ],
  ])('reports %s with its line number', (_name, lines, lineNumber, message) => {
    const result = replaySwiotlbTrace(lines);

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.lineNumber).toBe(lineNumber);
    expect(result.error.message).toMatch(message);
  });

  it('reproduces a kernel trace from its text lines', () => {
    const dir = path.join(__dirname, '..', '..', 'fixtures', 'swiotlb-traces');
    const trace = readFileSync(path.join(dir, 'v6.6-pub-n2048-a2-nvme-align.trace.jsonl'), 'utf8').split('\n');
    const expected = readFileSync(path.join(dir, 'v6.6-pub-n2048-a2-nvme-align.expected.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');

    const result = replaySwiotlbTrace(trace);

    expect(result.ok && result.output).toEqual(expected);
  });
});

describe('parseJsonLine (non-throwing JSON for the engine)', () => {
  it.each(['{"a":[1,-2.5e3,true,false,null],"b":"x\\"\\\\\\u00e9\\n"}', ' {} ', '[]', '"s"', '0'])(
    'agrees with JSON.parse on %s',
    (text) => {
      expect(parseJsonLine(text)).toEqual({ ok: true, value: JSON.parse(text) as unknown });
    },
  );

  it.each(['', '{', '{"a":1,}', '{"a" 1}', '[1 2]', '01', '{"a":1} x', '"\u0001"', "{'a':1}", 'tru'])(
    'rejects %j',
    (text) => {
      expect(parseJsonLine(text).ok).toBe(false);
    },
  );

  it('does not let a "__proto__" key change the prototype', () => {
    const result = parseJsonLine('{"__proto__":{"polluted":1}}');

    expect(result.ok && Object.getPrototypeOf(result.value)).toBe(Object.prototype);
  });
});
