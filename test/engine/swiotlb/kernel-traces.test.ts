import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { replayTrace } from '../../../src/engine/swiotlb/index';

// The six traces in test/fixtures/swiotlb-traces were produced by compiling the kernel's own
// kernel/dma/swiotlb.c in a userspace harness (v6.10 rules: ColinIanKing/linux-next @ f398a0512cc4;
// v6.6 rules: torvalds/linux @ 009fbfc97b63). The model must choose the same slot and bounce address
// for every map and end with the same used/hiwater counters.
const dir = path.join(__dirname, '..', '..', 'fixtures', 'swiotlb-traces');
const traces = readdirSync(dir)
  .filter((f) => f.endsWith('.trace.jsonl'))
  .sort();
const readLines = (file: string): string[] =>
  readFileSync(path.join(dir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

describe('swiotlb replay against kernel-generated traces', () => {
  it('has all six traces', () => {
    expect(traces).toHaveLength(6);
  });

  it.each(traces)('%s: every slot, bounce address and the final counters match the kernel', (trace) => {
    const input = readLines(trace).map((line) => JSON.parse(line) as unknown);
    const expected = readLines(trace.replace('.trace.jsonl', '.expected.jsonl'));

    const result = replayTrace(input);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const mismatches = result.output.flatMap((line, i) =>
      line === expected[i] ? [] : [`#${i}: got ${line}, kernel ${expected[i]}`],
    );
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(result.output).toHaveLength(expected.length);
    // The traces exercise failures too (phases fill the pool to exhaustion).
    expect(expected.some((line) => line.includes('"slot":-1'))).toBe(true);
  });
});
