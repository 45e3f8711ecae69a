// dmasim validate lists every problem of a spec in one pass, with suggestions, and exits 2.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { nearestKey } from '../../../src/engine/spec/nearest';
import { validateScenario } from '../../../src/engine/spec/validate';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';
import { memoryIo } from '../../support/memory-io';

// Schema problems (unknown key, unknown enum value) and cross-field problems (unknown profile,
// bad overlay variant, duplicate device id, unknown stream device, min > max) in one file.
const manyProblems = `apiVersion: dmasim/v1
name: many-problems
vm: { platform: sev-snp, memoryMiB: 4096, vcpus: 4 }
kernel: { profile: v9.9, overlays: [{ name: device-cc-accepted, variant: bob }] }
devices:
  - { id: nvme0, kind: nvme, dmaMask: 64 }
  - { id: nvme0, kind: nvme }
  - { id: x1, kind: nvmee }
workload:
  streams:
    - { device: nope, type: block, data: secret, sizes: { dist: uniform, min: 8192, max: 4096 } }
`;

function specFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dmasim-validate-')), 'spec.yaml');
  writeFileSync(file, text);
  return file;
}

describe('dmasim validate', () => {
  it('reports every problem in one pass, each at its path (schema and cross-field rules together)', async () => {
    const io = memoryIo();
    const code = await runCli(['validate', specFile(manyProblems)], io);
    expect(code).toBe(2);
    const lines = io
      .out()
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.trim());
    expect(lines).toEqual(
      expect.arrayContaining([
        "devices[0].dmaMask: unknown key 'dmaMask' — did you mean dmaMaskBits?",
        expect.stringMatching(
          /^devices\[2\]\.kind: unknown value 'nvmee' — did you mean nvme\? \(expected one of: virtio-net, .*tdisp-nvme, platform\)$/,
        ),
        expect.stringMatching(/^kernel\.profile: .*v9\.9/),
        "kernel.overlays[0].variant: unknown variant 'bob' of device-cc-accepted: use one of aneesh, alexey, dan, posted, optionally followed by +hunk or -hunk",
        "devices[1].id: duplicate device id 'nvme0'",
        "workload.streams[0].device: no device with id 'nope'",
        expect.stringMatching(/^workload\.streams\[0\]\.sizes\.min: must not exceed sizes\.max/),
      ]),
    );
    expect(lines).toHaveLength(7);
  });

  it("keeps the user's indices when an invalid array element had to be set aside", () => {
    // devices[0] is unusable (kind missing); the duplicate is between devices[1] and devices[2].
    const parsed = parseSpecText(
      manyProblems
        .replace('- { id: nvme0, kind: nvme, dmaMask: 64 }', '- { id: broken }')
        .replace('- { id: x1, kind: nvmee }', '- { id: nvme0, kind: nvme }'),
    );
    expect(parsed.ok).toBe(false);
    const paths = parsed.ok ? [] : parsed.errors.map((e) => e.path);
    expect(paths).toContain('devices[0].kind');
    expect(paths).toContain('devices[2].id');
  });

  it('a valid spec still validates and normalises (the repair path is only for reporting)', () => {
    const valid = manyProblems
      .replace('profile: v9.9, overlays: [{ name: device-cc-accepted, variant: bob }]', 'profile: v7.2')
      .replace(', dmaMask: 64', '')
      .replace('  - { id: nvme0, kind: nvme }\n  - { id: x1, kind: nvmee }\n', '')
      .replace('device: nope', 'device: nvme0')
      .replace('min: 8192, max: 4096', 'min: 4096, max: 8192');
    const parsed = parseSpecText(valid);
    expect(parsed.ok ? parsed.spec.devices.map((d) => d.id) : parsed.errors).toEqual(['nvme0']);
  });

  it('an unknown key far from every known key lists the valid keys instead of guessing', () => {
    const result = validateScenario({
      apiVersion: 'dmasim/v1',
      name: 'x',
      vm: { platform: 'tdx', memoryMiB: 1024, vcpus: 1, zzzzzzzz: 1 },
      devices: [],
      workload: {},
    });
    expect(result.ok).toBe(false);
    const issue = result.ok ? undefined : result.errors.find((e) => e.path === 'vm.zzzzzzzz');
    expect(issue?.message).toMatch(/^unknown key 'zzzzzzzz' \(valid keys: platform, memoryMiB, vcpus/);
  });
});

describe('nearestKey', () => {
  it('prefers a key containing what was typed, then small edit distances, else nothing', () => {
    expect(nearestKey('dmaMask', ['coherentMaskBits', 'dmaMaskBits', 'minAlignMask'])).toBe('dmaMaskBits');
    expect(nearestKey('memoryMib', ['memoryMiB', 'vcpus'])).toBe('memoryMiB');
    expect(nearestKey('vpcus', ['memoryMiB', 'vcpus'])).toBe('vcpus');
    expect(nearestKey('banana', ['memoryMiB', 'vcpus'])).toBeNull();
  });
});

describe('thousands separators in CLI output', () => {
  it('validate groups MiB and operation counts (16,384 MiB; 200,000 operations)', async () => {
    const io = memoryIo();
    expect(
      await runCli(['validate', path.join(__dirname, '..', '..', '..', 'examples', 's01-snp-virtio-net.yaml')], io),
    ).toBe(0);
    expect(io.out()).toContain('16,384 MiB');
    expect(io.out()).toContain('200,000 operations');
  });

  it('run: the violations and failures tables print no ungrouped number of four or more digits (counts, first op)', async () => {
    const io = memoryIo();
    await runCli(
      [
        'run',
        path.join(__dirname, '..', '..', '..', 'examples', 's18-dstack-tdx-bursty.yaml'),
        '--operations',
        '30000',
      ],
      io,
    );
    const out = io.out();
    const tables = out.slice(
      out.indexOf('  violations ('),
      out.indexOf('  metrics') > 0 ? out.indexOf('  metrics') : undefined,
    );
    const tableRows = tables
      .split('\n')
      .filter((l) => /^ {4}[VF]\d+ /.test(l))
      .map((l) => l.replace(/0x[0-9a-f]+/g, '').replace(/\(sz: .*$/, ''));
    expect(tableRows.length).toBeGreaterThan(0);
    expect(tableRows.filter((l) => /(?<![\d,.])\d{4,}(?![\d,])/.test(l))).toEqual([]);
  });
});
