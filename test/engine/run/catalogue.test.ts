import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario, type EngineReport } from '../../../src/engine/index';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';

// Catalogue expectations (reference §11 rows and §10 classes), each run on the example spec with a
// capped workload. These are the behaviours the reference predicts, not numbers taken from the model.
const examples = path.join(__dirname, '..', '..', '..', 'examples');

function run(file: string, edit: (text: string) => string = (t) => t, operations = 5000): EngineReport {
  const parsed = parseSpecText(edit(readFileSync(path.join(examples, file), 'utf8')));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const spec = parsed.spec.workload.explicit.length > 0 ? parsed.spec : { ...parsed.spec, workload: { ...parsed.spec.workload, operations } };
  return runScenario(spec);
}

const classes = (report: EngineReport, severity?: string): string[] => [...new Set(report.violations.filter((v) => !severity || v.severity === severity).map((v) => v.class))].sort();
const failureClasses = (report: EngineReport): string[] => [...new Set(report.failures.map((f) => f.class))].sort();

describe('scenario catalogue', () => {
  it('S4: Confidential VMBus storvsc on v7.2 bounces secrets through shared SWIOTLB → V1 critical', () => {
    const report = run('s04-hyperv-snp-confidential-storvsc.yaml');

    expect(report.summary.verdict).toBe('exposes-secrets');
    expect(classes(report, 'critical')).toEqual(['V1']);
    expect(report.violations.find((v) => v.class === 'V1')?.rule).toBe('A4');
    expect(Number(report.metrics['swiotlb.bouncedBytesToDevice'])).toBeGreaterThan(0);
  });

  it('S4 under lb + device-cc-accepted: no V1 — the accepted device maps private memory directly', () => {
    const report = run('s04-hyperv-snp-confidential-storvsc.yaml', (t) => t.replace('kernel: { profile: v7.2 }', 'kernel: { profile: v7.3, overlays: [device-cc-accepted] }'));

    expect(classes(report)).not.toContain('V1');
    expect(report.metrics['devices.storvsc0.bounces']).toBe(0);
  });

  it('S5: the storvsc bypass exposes nothing', () => {
    const report = run('s05-hyperv-snp-storvsc-bypass.yaml');

    expect(report.violations).toEqual([]);
    expect(report.summary.verdict).toBe('clean');
  });

  it('S7: an accepted 64-bit TDISP NVMe on lb does private DMA: no bounce, no violation, no failure', () => {
    const report = run('s07-tdx-tdisp-nvme-accepted.yaml');

    expect(report.violations).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.metrics['devices.nvme0.bounces']).toBe(0);
  });

  it('S8: an accepted 32-bit device with buffers above 4 GiB fails to map (F5)', () => {
    const report = run('s08-tdx-tdisp-nvme-32bit.yaml');

    expect(failureClasses(report)).toEqual(['F5']);
    expect(report.failures[0]?.kernelLogLine).toMatch(/^DMA addr 0x[0-9a-f]+\+\d+ overflow \(mask ffffffff, bus limit 0\)\.$/);
  });

  it('S12: swiotlb=noforce gives F8 (private memory to the host device) on la-phys and F5 on lb', () => {
    const la = run('s12-snp-swiotlb-noforce.yaml');
    const lb = run('s12-snp-swiotlb-noforce.yaml', (t) => t.replace('profile: v7.2', 'profile: v7.3'));

    expect(failureClasses(la)).toEqual(['F8']);
    expect(la.metrics['swiotlb.nslabs']).toBe(0);
    expect(failureClasses(lb)).toEqual(['F5']);
  });

  it('S13: swiotlb=force without memory encryption bounces but exposes nothing', () => {
    const report = run('s13-swiotlb-force-non-coco.yaml');

    expect(report.violations).toEqual([]);
    expect(Number(report.metrics['devices.nvme0.bounces'])).toBeGreaterThan(0);
  });

  it('S17: atomic coherent allocations of a non-coherent Realm device come from the shared atomic pool → V4', () => {
    const report = run('s17-cca-noncoherent-atomic.yaml');

    expect(classes(report)).toEqual(['V4']);
  });

  it('S1: sizes the SNP 16 GiB pool at 1 GiB in 16 areas and reports V2 for receive buffers', () => {
    const report = run('s01-snp-virtio-net.yaml');

    expect(report.metrics['swiotlb.nslabs']).toBe(524288);
    expect(report.metrics['swiotlb.nareas']).toBe(16);
    expect(classes(report)).toEqual(expect.arrayContaining(['V0', 'V2']));
  });

  it('S16: NVMe max mapping size is 252 KiB (256 KiB minus roundup(4095, 2 KiB))', () => {
    const report = run('s16-snp-nvme-mixed.yaml');

    expect(report.metrics['devices.nvme0.maxMappingBytes']).toBe(258048);
  });

  it('S11: 256 KiB requests at queue depth 512 exhaust the default 64 MiB pool → F1 with the kernel message', () => {
    const report = run('s11-s390-pv-first-boot-encryption.yaml', (t) => t, 3000);

    expect(report.metrics['swiotlb.nslabs']).toBe(32768);
    expect(failureClasses(report)).toContain('F1');
    expect(report.failures.find((f) => f.class === 'F1')?.kernelLogLine).toMatch(/^swiotlb buffer is full \(sz: \d+ bytes\), total 32768 \(slots\), used \d+ \(slots\)$/);
  });
});

describe('determinism', () => {
  it('gives a byte-identical report for the same spec and seed, and a different one for another seed', () => {
    const a = run('s16-snp-nvme-mixed.yaml');
    const b = run('s16-snp-nvme-mixed.yaml');
    const c = run('s16-snp-nvme-mixed.yaml', (t) => t.replace('seed: 16', 'seed: 17'));

    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(c.resultHash).not.toBe(a.resultHash);
  });
});
