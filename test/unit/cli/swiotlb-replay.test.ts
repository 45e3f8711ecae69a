import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { memoryIo } from '../../support/memory-io';

const repoRoot = path.join(__dirname, '..', '..', '..');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'swiotlb-traces');
const setup =
  '{"pool":{"nslabs":1024,"nareas":1,"start":"0x80000000"},"device":{"minAlignMask":"0x0","segBoundaryMask":"0xffffffff"},"rules":"v6.10"}';

describe('dmasim swiotlb-replay', () => {
  it('reads a trace from stdin and prints one line per map and the counters', async () => {
    const io = memoryIo(
      [
        setup,
        '{"op":"map","id":"a","cpu":0,"orig":"0x100000000","size":4096}',
        '',
        '{"op":"unmap","id":"a"}',
        '{"op":"map","id":"b","cpu":0,"orig":"0x100000000","size":300000}',
      ].join('\n'),
    );

    const code = await runCli(['swiotlb-replay'], io);

    expect(code).toBe(0);
    expect(io.out()).toBe('{"id":"a","slot":0,"tlb":"0x80000000"}\n{"id":"b","slot":-1}\n{"used":0,"hiwater":2}\n');
  });

  it.each([
    ['malformed JSON', [setup, '{"op":"map",'], /stdin:2: malformed JSON/],
    ['an unknown op', [setup, '{"op":"sync","id":"a"}'], /stdin:2: unknown op "sync"/],
    [
      'an unmap of an unknown id',
      [setup, '{"op":"map","id":"a","cpu":0,"orig":"0x0","size":1}', '{"op":"unmap","id":"zz"}'],
      /stdin:3: unmap of unknown id "zz"/,
    ],
    [
      'a bad setup line',
      [
        '{"pool":{"nslabs":1024,"nareas":3,"start":"0x0"},"device":{"minAlignMask":"0x0","segBoundaryMask":"0xffffffff"},"rules":"v6.10"}',
      ],
      /stdin:1: pool.nareas must be a power of two/,
    ],
    [
      'unknown rules',
      [
        '{"pool":{"nslabs":8,"nareas":1,"start":"0x0"},"device":{"minAlignMask":"0x0","segBoundaryMask":"0xfff"},"rules":"v5.0"}',
      ],
      /stdin:1: rules must be/,
    ],
    ['an empty trace', [''], /stdin:1: empty trace/],
  ])('exits 2 naming the line for %s', async (_name, lines, message) => {
    const io = memoryIo(lines.join('\n'));

    const code = await runCli(['swiotlb-replay'], io);

    expect(code).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('exits 2 for a missing file', async () => {
    const io = memoryIo();

    expect(await runCli(['swiotlb-replay', '/nonexistent/trace.jsonl'], io)).toBe(2);
    expect(io.err()).toContain('no such file: /nonexistent/trace.jsonl');
  });

  it('reproduces a kernel trace byte for byte when run as a process from a file', () => {
    const trace = path.join(fixtures, 'v6.10-pub-n2048-a2-nvme.trace.jsonl');

    const output = execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'dmasim.js'), 'swiotlb-replay', trace], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });

    expect(output).toBe(readFileSync(trace.replace('.trace.jsonl', '.expected.jsonl'), 'utf8'));
  });
});

describe('dmasim swiotlb-replay --expected', () => {
  const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'swiotlb-traces');
  const trace = path.join(fixtures, 'v6.10-pub-n2048-a2-nvme.trace.jsonl');
  const expectedFile = path.join(fixtures, 'v6.10-pub-n2048-a2-nvme.expected.jsonl');

  it("says MATCH with the line count for the kernel's own output (exit 0)", async () => {
    const io = memoryIo();
    expect(await runCli(['swiotlb-replay', trace, '--expected', expectedFile], io)).toBe(0);
    const lines = readFileSync(expectedFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '').length;
    expect(io.out()).toBe(`MATCH: all ${lines.toLocaleString('en-US')} output lines identical to ${expectedFile}\n`);
  });

  it('prints the first divergence with its trace line, expected and actual (exit 1)', async () => {
    const lines = readFileSync(expectedFile, 'utf8').split('\n');
    const tampered = lines.map((l, i) => (i === 4 ? l.replace(/"slot":\d+/, '"slot":77777') : l)).join('\n');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dmasim-replay-')), 'expected.jsonl');
    writeFileSync(file, tampered);
    const io = memoryIo();
    expect(await runCli(['swiotlb-replay', trace, '--expected', file], io)).toBe(1);
    expect(io.out()).toMatch(
      /^DIFF against .*: first divergence at output line 5 \(trace line \d+\):\n {2}expected: .*"slot":77777.*\n {2}actual: {3}\{"id":"r5","slot":\d+/,
    );
  });
});
