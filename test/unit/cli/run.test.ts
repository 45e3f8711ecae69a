// dmasim run: flags, errors and exit codes, output formats, determinism, progress and Ctrl-C.
// Driven in-process through runCli (the same function bin/dmasim.js calls) with in-memory streams,
// plus a few subprocesses through bin/dmasim.js where the process boundary is the point (exit code,
// a non-TTY stderr). Expected findings come from the kernel behaviour docs/kernel-dma.md describes (with its sources),
// not from the engine's output; each test says which row.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { runCli } from '../../../src/cli/main';
import { runScenario, type EngineReport } from '../../../src/engine/index';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';
import { memoryIo } from '../../support/memory-io';

const repoRoot = path.join(__dirname, '..', '..', '..');
const example = (name: string): string => path.join(repoRoot, 'examples', name);
const s04 = example('s04-hyperv-snp-confidential-storvsc.yaml');
const s12 = example('s12-snp-swiotlb-noforce.yaml');
const bin = path.join(repoRoot, 'bin', 'dmasim.js');

async function cli(args: string[], io = memoryIo()): Promise<{ code: number; out: string; err: string }> {
  const code = await runCli(['run', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const reportOf = (out: string): EngineReport => JSON.parse(out) as EngineReport;

function writeSpec(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmasim-run-'));
  const file = path.join(dir, 'spec.yaml');
  writeFileSync(file, text);
  return file;
}

describe('dmasim run: output', () => {
  it('prints the verdict, a violations table with class, severity, device, bytes, first op and rule, failures and metrics', async () => {
    const { code, out } = await cli([s04, '--operations', '2000']);

    // Reference §11 S4 + §10.1 V1: Confidential VMBus storvsc on v7.2 bounces secrets (row A4) ⇒ V1 critical.
    expect(code).toBe(0);
    expect(out).toMatch(
      /^.*s04-hyperv-snp-confidential-storvsc\.yaml: EXPOSES-SECRETS — hyperv-snp-paravisor, kernel v7\.2 \(la-phys\), seed 42, 2,000 ops$/m,
    );
    expect(out).toMatch(/^ {4}class +severity +device +data +bytes +ops +first op +rule +path$/m);
    expect(out).toMatch(/^ {4}V1 +critical +storvsc0 +secret +[\d.]+ [KM]iB +[\d,]+ +\d+ +A4 /m);
    expect(out).toContain('  failures: none');
    expect(out).toMatch(/^ {4}swiotlb\.nslabs +524,288$/m);
    expect(out).toMatch(/^ {2}resultHash [0-9a-f]{64}/m);
  });

  it('--json prints exactly the report runScenario returns for the same spec and seed (the CLI steps the run in other slices)', async () => {
    // 25,000 operations: the CLI steps 10,000 at a time, runScenario 50,000 — slicing must not change the report.
    const parsed = parseSpecText(readFileSync(s04, 'utf8'));
    if (!parsed.ok) throw new Error('example invalid');
    const expected = runScenario(
      { ...parsed.spec, workload: { ...parsed.spec.workload, operations: 25000 } },
      { seed: 5 },
    );

    const { code, out } = await cli([s04, '--operations', '25000', '--seed', '5', '--json']);

    expect(code).toBe(0);
    expect(out).toBe(`${JSON.stringify(expected)}\n`);
  });

  it('--md renders Markdown: heading with the verdict, violations and metrics tables', async () => {
    const { code, out } = await cli([s04, '--operations', '2000', '--md']);

    expect(code).toBe(0);
    expect(out).toMatch(/^## .*s04-hyperv-snp-confidential-storvsc\.yaml: exposes-secrets$/m);
    expect(out).toContain(
      '| class | severity | device | data | bytes exposed | ops | first op | rule | path | explanation |',
    );
    expect(out).toMatch(/^\| V1 \| critical \| storvsc0 \| secret \| /m);
    expect(out).toContain('### Failures\n\nNone.');
    expect(out).toMatch(/^\| `swiotlb\.nslabs` \| 524,288 \|$/m);
  });

  it('--seed makes runs reproducible: the same seed gives a byte-identical report, another seed a different one', async () => {
    const a = await cli([s04, '--operations', '2000', '--seed', '7', '--json']);
    const b = await cli([s04, '--operations', '2000', '--seed', '7', '--json']);
    const c = await cli([s04, '--operations', '2000', '--seed', '8', '--json']);

    expect(a.out).toBe(b.out);
    expect(reportOf(a.out).seed).toBe(7);
    expect(reportOf(c.out).resultHash).not.toBe(reportOf(a.out).resultHash);
  });
});

describe('dmasim run: --profile and --overlay', () => {
  it('--profile replaces the spec kernel: S12 swiotlb=noforce gives F8 on v7.2 and F5 on lb (reference §11 S12, §10.2 F8)', async () => {
    const la = reportOf((await cli([s12, '--operations', '500', '--json'])).out);
    const lb = reportOf((await cli([s12, '--operations', '500', '--json', '--profile', 'lb'])).out);

    // L-A: no pool and no force ⇒ row A8 maps private memory for a U device (F8); L-B: dma_capable's CC rule fails and there is no pool to bounce through (B5 ⇒ F5).
    expect([...new Set(la.failures.map((f) => f.class))]).toEqual(['F8']);
    expect(lb.profile).toMatch(/\(lb\)$/);
    expect([...new Set(lb.failures.map((f) => f.class))]).toEqual(['F5']);
  });

  it('--overlay name:variant applies a device-cc-accepted variant; the accepted Confidential VMBus device bounces nothing (reference §9.3)', async () => {
    const { code, out } = await cli([
      s04,
      '--operations',
      '1000',
      '--json',
      '--profile',
      'v7.3',
      '--overlay',
      'device-cc-accepted:alexey',
    ]);

    // Alexey's hooks: force_dma_unencrypted false and is_swiotlb_force_bounce false for A; a 64-bit VMBus device is capable ⇒ direct private DMA.
    const report = reportOf(out);
    expect(code).toBe(0);
    expect(report.overlays).toEqual([
      {
        name: 'device-cc-accepted',
        variant: 'alexey',
        hunks: ['force-dma-unencrypted-off', 'force-bounce-off', 'phys-to-dma-no-cbit'],
      },
    ]);
    expect(report.violations.filter((v) => v.class === 'V1')).toEqual([]);
    expect(report.metrics['devices.storvsc0.bounces']).toBe(0);
  });

  it('--overlay device-cc-accepted:posted still bounces on v7.2 (SWIOTLB_FORCE, is_swiotlb_force_bounce() untouched); +force-bounce-off stops it, also inside --matrix', async () => {
    const posted = reportOf(
      (await cli([s04, '--operations', '500', '--json', '--overlay', 'device-cc-accepted:posted'])).out,
    );
    const fixed = reportOf(
      (await cli([s04, '--operations', '500', '--json', '--overlay', 'device-cc-accepted:posted+force-bounce-off']))
        .out,
    );
    expect(posted.violations.map((v) => v.class)).toContain('V1');
    expect(fixed.overlays[0]?.hunks).toContain('force-bounce-off');
    expect(fixed.violations).toEqual([]);
    const { code, out } = await cli([
      s04,
      '--operations',
      '500',
      '--json',
      '--matrix',
      'la-phys+device-cc-accepted:posted+force-bounce-off',
    ]);
    expect(code).toBe(0);
    expect(out).toContain('force-bounce-off');
  });

  it('--overlay none clears the spec overlays: S7 without device-cc-accepted bounces its TDISP device (reference §2.2: without the overlay the kernel treats it as untrusted)', async () => {
    const { out } = await cli([
      example('s07-tdx-tdisp-nvme-accepted.yaml'),
      '--operations',
      '1000',
      '--json',
      '--overlay',
      'none',
    ]);

    const report = reportOf(out);
    expect(report.overlays).toEqual([]);
    expect(Number(report.metrics['devices.nvme0.bounces'])).toBeGreaterThan(0);
  });
});

describe('dmasim run: errors', () => {
  it.each([
    [
      'an unknown profile, listing the valid ones',
      ['--profile', 'v9.9'],
      /^dmasim run: --profile: kernel v9\.9 is newer than the releases the engine models/,
    ],
    [
      'a profile that is not a release or id',
      ['--profile', 'linus'],
      /^dmasim run: --profile: unknown kernel 'linus': use a release such as v6\.12, v7\.2, v7\.3 or a profile id \(v6\.6, la-classic, la-phys, lb\)/,
    ],
    [
      'an unknown overlay, listing the valid ones',
      ['--overlay', 'magic'],
      /^dmasim run: --overlay: unknown overlay 'magic'; valid overlays: device-cc-accepted\[:aneesh\|alexey\|dan\|posted\], dual-swiotlb-pools, confidential-vmbus-no-swiotlb, storvsc-bypass/,
    ],
    [
      'an unknown variant',
      ['--overlay', 'device-cc-accepted:bob'],
      /^dmasim run: --overlay: unknown variant 'bob' of device-cc-accepted: use one of aneesh, alexey, dan, posted/,
    ],
    [
      'an unknown hunk',
      ['--overlay', 'device-cc-accepted:posted+robin'],
      /^dmasim run: --overlay: unknown hunk in 'posted\+robin' of device-cc-accepted: after \+\/- give one of force-dma-unencrypted-off/,
    ],
    [
      'a variant on an overlay without variants',
      ['--overlay', 'storvsc-bypass:x'],
      /^dmasim run: --overlay: overlay storvsc-bypass takes no variant/,
    ],
    [
      '--overlay none with another overlay',
      ['--overlay', 'none', '--overlay', 'storvsc-bypass'],
      /--overlay none clears the overlays/,
    ],
    ['a bad seed', ['--seed', '-1'], /needs a value|--seed: '-1' is not an integer/],
    [
      'a bad --matrix entry, naming it',
      ['--matrix', 'la-phys,lb+nope'],
      /^dmasim run: --matrix entry 'lb\+nope': unknown overlay 'nope'; valid overlays: /,
    ],
    ['an unknown flag', ['--colour'], /^dmasim run: unknown option --colour/],
    ['--json with --md', ['--json', '--md'], /--json and --md exclude each other/],
    ['--matrix with --profile', ['--matrix', 'lb', '--profile', 'la-phys'], /--matrix names the kernels itself/],
  ])('exits 2 for %s', async (_what, flags, message) => {
    const { code, out, err } = await cli([s04, ...flags]);

    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });

  it('exits 2 with every spec error as path: message', async () => {
    const file = writeSpec(
      'apiVersion: dmasim/v1\nname: bad\nvm: { platform: sev-snp, memoryMiB: 8192, vcpus: 4 }\nkernel: { profile: v7.2 }\ndevices: [{ id: nvme0, kind: nvme, minAlignMask: "0x1000" }]\nworkload: { operations: 10, streams: [{ device: nvme1, type: block, data: secret, sizes: { dist: fixed, value: 4096 } }] }\n',
    );

    const { code, err } = await cli([file]);

    expect(code).toBe(2);
    expect(err).toMatch(/invalid\n/);
    expect(err).toMatch(/^ {2}devices\[0\]\.minAlignMask: must be 2\^n - 1/m);
    expect(err).toMatch(/^ {2}workload\.streams\[0\]\.device: .*nvme1/m);
  });

  it('exits 2 when the kernel chosen by --overlay does not fit the spec, as path: message', async () => {
    // accept_device exists only with the device-cc-accepted overlay (engine.md §4): clearing the overlay makes the op list invalid.
    const file = writeSpec(
      'apiVersion: dmasim/v1\nname: accept\nvm: { platform: tdx, memoryMiB: 8192, vcpus: 4 }\nkernel: { profile: v7.3, overlays: [device-cc-accepted] }\n' +
        'devices: [{ id: nvme0, kind: tdisp-nvme, trust: tdisp-accepted }]\nworkload:\n  explicit:\n    - { op: accept_device, device: nvme0 }\n',
    );
    expect((await cli([file, '--json'])).code).toBe(0);

    const { code, out, err } = await cli([file, '--overlay', 'none']);

    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(
      /invalid with the kernel from --profile\/--overlay\n {2}workload\.explicit\[0\]\.op: accept_device needs the device-cc-accepted overlay/,
    );
  });

  it('exits 2 for an overlay listed twice', async () => {
    const { code, err } = await cli([s04, '--overlay', 'device-cc-accepted', '--overlay', 'device-cc-accepted:dan']);

    expect(code).toBe(2);
    expect(err).toMatch(/--overlay: device-cc-accepted given twice/);
  });

  it('exits 2 for a missing file', async () => {
    const { code, err } = await cli(['/nonexistent/spec.yaml']);

    expect(code).toBe(2);
    expect(err).toContain('/nonexistent/spec.yaml: cannot read (ENOENT)');
  });
});

describe('dmasim run: progress and Ctrl-C', () => {
  function ttyIo(): ReturnType<typeof memoryIo> {
    const io = memoryIo();
    Object.assign(io.stderr as PassThrough, { isTTY: true, columns: 120 });
    return io;
  }

  it('draws a progress bar on a TTY stderr during a long run and erases it at the end', async () => {
    const { code, err } = await cli([s04, '--operations', '200000'], ttyIo());

    expect(code).toBe(0);
    expect(err).toMatch(/\r\[[#-]{24}\] +\d+% +[\d,]+\/200,000 ops +[\d.]+ M ops\/s +.*s04/);
    expect(err.endsWith('\r\u001b[K')).toBe(true);
  });

  it('draws nothing with --json, even on a TTY', async () => {
    const { err } = await cli([s04, '--operations', '60000', '--json'], ttyIo());

    expect(err).toBe('');
  });

  it('draws nothing when stderr is not a TTY (a subprocess with piped stderr)', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'run', s04, '--operations', '30000'], {
      maxBuffer: 1 << 24,
    });

    expect(stdout).toMatch(/EXPOSES-SECRETS/);
    expect(stderr).toBe('');
  });

  it('stops at SIGINT between slices and exits 130 without printing a report', async () => {
    const io = memoryIo();
    const running = runCli(['run', s04], io);
    await new Promise((resolve) => setTimeout(resolve, 50));

    process.emit('SIGINT');
    const code = await running;

    expect(code).toBe(130);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(
      /^dmasim run: interrupted after [\d,]+ of 200,000 operations \(.*s04-hyperv-snp-confidential-storvsc\.yaml\)/,
    );
  });
});

describe('bin/dmasim.js run', () => {
  it('exits with code 2 and names the profile for an unknown --profile', async () => {
    const result = await promisify(execFile)(process.execPath, [bin, 'run', s04, '--profile', 'lc']).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--profile: unknown kernel 'lc'/);
  });
});
