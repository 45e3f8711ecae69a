import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';
import { memoryIo } from '../../support/memory-io';

const examples = path.join(__dirname, '..', '..', '..', 'examples');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dmasim-advise-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 40 live 64 KiB bounces (32 slots each) on a pool of 1024 slots: the 33rd map finds no slots (F1). */
function tightPoolSpec(): string {
  const ops = Array.from(
    { length: 40 },
    (_, i) =>
      `    - { op: map, id: m${i}, device: net0, buffer: { size: 65536, phys: "0x${(0x10000000 + i * 0x10000).toString(16)}", data: secret }, dir: to-device }`,
  );
  return [
    'apiVersion: dmasim/v1',
    'name: tight-pool',
    'vm: { platform: sev-snp, memoryMiB: 4096, vcpus: 1 }',
    'kernel: { profile: v7.2, cmdline: "swiotlb=1024,1" }',
    'devices:',
    '  - { id: net0, kind: virtio-net }',
    'workload:',
    '  explicit:',
    ...ops,
    '',
  ].join('\n');
}

describe('dmasim advise', () => {
  it('finds the swiotlb= that removes the F1 of a too-small pool (JSON)', async () => {
    const file = path.join(dir, 'tight.yaml');
    writeFileSync(file, tightPoolSpec());
    const io = memoryIo();
    expect(await runCli(['advise', file, '--json'], io)).toBe(0);
    const { advice } = JSON.parse(io.out()) as {
      advice: Array<{
        profile: string;
        swiotlb: { failuresAsGiven: number; value: string; search: { monotone: boolean } };
      }>;
    };
    expect(advice).toHaveLength(1);
    expect(advice[0]!.swiotlb.failuresAsGiven).toBeGreaterThan(0);
    expect(advice[0]!.swiotlb.value).toBe('1152,1');
    expect(advice[0]!.swiotlb.search.monotone).toBe(true);
  });

  it('prints a table row per profile and pool', async () => {
    const file = path.join(dir, 'tight.yaml');
    writeFileSync(file, tightPoolSpec());
    const io = memoryIo();
    expect(await runCli(['advise', file, '--profile', 'v6.12', '--profile', 'v7.2'], io)).toBe(0);
    const rows = io
      .out()
      .split('\n')
      .filter((l) => /^v\d/.test(l));
    expect(rows.map((r) => r.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'v6.12 F1',
      'v6.12 F7',
      'v7.2 F1',
      'v7.2 F7',
    ]);
  });

  it('rejects an unknown profile by name', async () => {
    const io = memoryIo();
    expect(
      await runCli(
        ['advise', path.join(examples, 's04-hyperv-snp-confidential-storvsc.yaml'), '--profile', 'v9.99'],
        io,
      ),
    ).toBe(2);
    expect(io.err()).toContain('--profile');
  });
});

describe('dmasim minimize', () => {
  it('writes a reproducer that validates and shows the kept finding', async () => {
    const out = path.join(dir, 'v1.yaml');
    const io = memoryIo();
    expect(
      await runCli(
        ['minimize', path.join(examples, 'explicit-storvsc-roundtrip.yaml'), '--keep', 'V6 on storvsc0', '-o', out],
        io,
      ),
    ).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(`# Run: dmasim run ${out}`);
    expect(text).toMatch(/# {3}V6 info on storvsc0/);
    expect(parseSpecText(text, out).ok).toBe(true);
    expect(io.err()).toMatch(/7 ops → \d ops? still showing V6 on storvsc0/);
  });

  it('rejects a selector without a finding class', async () => {
    const io = memoryIo();
    expect(
      await runCli(['minimize', path.join(examples, 'explicit-storvsc-roundtrip.yaml'), '--keep', 'storvsc0'], io),
    ).toBe(2);
    expect(io.err()).toContain('V0–V9 or F1–F16');
  });
});
