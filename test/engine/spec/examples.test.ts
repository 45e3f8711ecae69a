import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { validateCommand } from '../../../src/cli/commands/validate.command';
import { runScenario, type EngineReport } from '../../../src/engine/index';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';

const examplesDir = join(__dirname, '../../../examples');
const files = readdirSync(examplesDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

// docs/engine-contract.md §2: at least ten examples reproducing the reference catalogue (§11), each with a comment.
describe('examples/', () => {
  it('has at least ten catalogue scenarios and one explicit op list', () => {
    expect(files.filter((f) => /^s\d\d-/.test(f)).length).toBeGreaterThanOrEqual(10);
    expect(
      files.some(
        (f) =>
          /explicit/.test(readFileSync(join(examplesDir, f), 'utf8')) &&
          parseSpecText(readFileSync(join(examplesDir, f), 'utf8')).ok,
      ),
    ).toBe(true);
  });

  it('covers every scenario of the reference catalogue S1–S18 with one sNN-….yaml each (later ones numbered on)', () => {
    const numbers = files.map((f) => /^s(\d\d)-/.exec(f)?.[1]).filter((n): n is string => n !== undefined);

    expect(numbers.length).toBeGreaterThanOrEqual(18);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => String(i + 1).padStart(2, '0')));
  });

  it.each(files.filter((f) => /^s\d\d-/.test(f)))(
    '%s says in its header which scenario it shows and what the reference expects',
    (file) => {
      const header = readFileSync(join(examplesDir, file), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .join('\n');

      expect(header).toContain(`S${Number(file.slice(1, 3))}`);
      expect(header).toMatch(/Expected:/);
    },
  );

  it.each(files)('%s validates and starts with a comment block', (file) => {
    const text = readFileSync(join(examplesDir, file), 'utf8');
    expect(text.startsWith('#')).toBe(true);
    const result = parseSpecText(text, file);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe('dmasim validate', () => {
  async function run(args: string[]): Promise<{ code: number; out: string }> {
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    const code = await validateCommand.run(args, { stdout, stderr: new PassThrough(), stdin: new PassThrough() });
    return { code, out: chunks.join('') };
  }

  it('prints ok with the resolved profile for a valid spec', async () => {
    const { code, out } = await run([join(examplesDir, files[0]!)]);
    expect(code).toBe(0);
    expect(out).toMatch(/: ok/);
    expect(out).toMatch(/→ (v6\.6|la-classic|la-phys|lb)/);
  });

  it('prints every error as path: message and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmasim-validate-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: dmasim/v1\nname: bad\nvm: { platform: sev-snp, memoryMiB: 8192, vcpus: 4 }\nkernel: { profile: v7.2 }\ndevices: [{ id: nvme0, kind: nvme, minAlignMask: "0x1000" }]\nworkload: { operations: 0 }\n',
    );
    const { code, out } = await run([file]);
    expect(code).toBe(2);
    expect(out).toMatch(/devices\[0\]\.minAlignMask: must be 2\^n - 1/);
  });
});

// What the reference's catalogue (§11) predicts for the examples the engine catalogue test
// (test/engine/run/catalogue.test.ts) does not already cover, each run on the example itself with
// its workload capped. The reasoning per row cites the reference; where today's engine disagrees the
// test is skipped with the reason (see the CLI helper's report), never bent to the engine's output.
function run(file: string, operations: number): EngineReport {
  const parsed = parseSpecText(readFileSync(join(examplesDir, file), 'utf8'), file);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const { spec } = parsed;
  return runScenario(
    spec.workload.explicit.length > 0
      ? spec
      : { ...spec, workload: { ...spec.workload, operations: Math.min(spec.workload.operations, operations) } },
  );
}
const classesOf = (r: EngineReport): string[] => [...new Set([...r.violations, ...r.failures].map((f) => f.class))];

describe('examples reproduce the reference catalogue', () => {
  it('S1: TX payload to the host-backed virtio-net (V0), stale RX contents copied at map time (V2), decrypted vrings (V3)', () => {
    // §11 S1 flags V2, V3; §3.5: the map-time copy exposes old RX contents; §4.1 C9: coherent vrings are decrypted.
    expect(classesOf(run('s01-snp-virtio-net.yaml', 3000))).toEqual(expect.arrayContaining(['V0', 'V2', 'V3']));
  });

  it('S2: a burst of 1 MiB writes (640 in flight, 4 × 256 KiB segments) overruns the 512 MiB static pool → F1', () => {
    // §2.3: 8 GiB ⇒ 491 MiB ⇒ 512 MiB = 262,144 slots; 640 × 1 MiB wanted in flight ⇒ "swiotlb buffer is full".
    const report = run('s02-tdx-virtio-blk-static.yaml', 3000);

    expect(report.metrics['swiotlb.nslabs']).toBe(262144);
    expect(report.failures.find((f) => f.class === 'F1')?.kernelLogLine).toMatch(
      /^swiotlb buffer is full \(sz: 262144 bytes\), total 262144 \(slots\)/,
    );
  });

  it('S3: with SWIOTLB_DYNAMIC=y transient and grown pools absorb part of the burst → fewer F1 than S2', () => {
    // §11 S3, §5.7/§5.8: on a miss a transient pool from the atomic pool and background 4 MiB pools; F1 only if both fail.
    const failuresOf = (r: EngineReport): number =>
      r.failures.filter((f) => f.class === 'F1').reduce((n, f) => n + f.count, 0);

    expect(failuresOf(run('s03-tdx-virtio-blk-dynamic.yaml', 3000))).toBeLessThan(
      failuresOf(run('s02-tdx-virtio-blk-static.yaml', 3000)),
    );
  });

  it('S6: non-confidential VMBus netvsc → V9', () => {
    // §11 S6, §8.1, §10.1 V9: the host is the VSP; ring buffers and GPADL buffers are shared by design.
    expect(classesOf(run('s06-hyperv-snp-netvsc-untrusted.yaml', 3000))).toContain('V9');
  });

  it('S10: a 40-bit virtio-net in a 48-bit-IPA Realm cannot reach the shared alias → F4', () => {
    // §1.3: the shared handle is addr | PROT_NS_SHARED (bit 47); §5.4/§14.2 item 1: the re-check fails after the copy ⇒ F4.
    expect(classesOf(run('s10-cca-virtio-net-ipa-mask.yaml', 2000))).toContain('F4');
  });

  it('S14: the SME host bounces the 32-bit NIC and decrypts its coherent buffers, without failures or critical exposure', () => {
    // §2.1: force_dma_unencrypted() only for masks ≤ the C-bit ⇒ A7 bounce (not capable) and C9 decrypt; §11 S14: host-side only.
    const report = run('s14-sme-host-32bit-nic.yaml', 3000);

    expect(report.failures).toEqual([]);
    expect(Number(report.metrics['devices.nic0.bounces'])).toBeGreaterThan(0);
    expect(report.violations.filter((v) => v.severity === 'critical')).toEqual([]);
  });

  // §11 S14 flags "host-side only": there is no guest trust boundary on an SME host (the platform has no
  // outside observer), so the engine counts the bytes in shared.hostSideBytes instead of reporting violations.
  it('S14: no confidentiality violations at all on an SME host', () => {
    expect(run('s14-sme-host-32bit-nic.yaml', 3000).violations).toEqual([]);
  });

  it('S15: the passthrough NIC TX payload goes to the host in the clear (V0, info) and the copy is charged as cost', () => {
    // §11 S15: bounce copy in TX softirq — F15 (info, rule bounce-copy) plus the modelled cost; docs/engine-contract.md §5: V0 for to-device payloads of untrusted devices.
    const report = run('s15-snp-passthrough-nic-tx.yaml', 3000);

    expect(classesOf(report)).toEqual(['V0', 'V6', 'F15']);
    expect(report.failures).toMatchObject([{ class: 'F15', rule: 'bounce-copy', severity: 'info' }]);
    expect(report.violations.every((v) => v.severity === 'info')).toBe(true);
    expect(Number(report.metrics['cost.bounceCopyNs'])).toBeGreaterThan(0);
  });

  it('S18: the 1 GiB ceiling of a 6.18 TDX guest without SWIOTLB_DYNAMIC → F1 for 256 KiB requests', () => {
    // §11 S18 (Dstack PR 1192): 32 GiB ⇒ 6 % capped at 1 GiB = 524,288 slots; 3328 × 256 KiB + 4096 × 64 KiB = 1,088 MiB in flight > 1 GiB.
    const report = run('s18-dstack-tdx-bursty.yaml', 12000);

    expect(report.metrics['swiotlb.nslabs']).toBe(524288);
    expect(report.failures.find((f) => f.class === 'F1')?.kernelLogLine).toMatch(
      /^swiotlb buffer is full \(sz: 262144 bytes\), total 524288 \(slots\)/,
    );
  });
});
