// dmasim run --matrix: one scenario under several kernels, compared side by side. The expected
// cells are derived by hand from the kernel behaviour docs/kernel-dma.md describes (with its sources), per column.
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import type { EngineReport } from '../../../src/engine/index';
import { compareReports, type MatrixComparison } from '../../../src/engine/index';
import { renderMatrixMarkdown } from '../../../src/engine/report/markdown';
import { memoryIo } from '../../support/memory-io';

const example = (name: string): string => path.join(__dirname, '..', '..', '..', 'examples', name);
const s04 = example('s04-hyperv-snp-confidential-storvsc.yaml');

interface MatrixJson {
  file: string;
  columns: string[];
  comparison: MatrixComparison;
  reports: EngineReport[];
}

async function matrix(
  file: string,
  kernels: string,
  ...flags: string[]
): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await runCli(['run', file, '--matrix', kernels, '--operations', '2000', ...flags], io);
  return { code, out: io.out(), err: io.err() };
}

const classCells = (m: MatrixComparison, id: string): (string | null)[] | undefined =>
  m.classes.find((c) => c.class === id)?.cells.slice();

describe('dmasim run --matrix', () => {
  // S4 (reference §11) is Confidential VMBus storvsc on a Hyper-V SNP CVM with the paravisor.
  // la-phys (v7.2): vTOM reports CC_ATTR_GUEST_MEM_ENCRYPT (§8.1), so x86 sets SWIOTLB_FORCE and row A4
  //   bounces every map through the shared pool; the VSP is in the paravisor, so this is V1 (§10.1),
  //   critical because the data is secret (engine.md §5).
  // lb (v7.3): SWIOTLB_FORCE is gone but force_dma_unencrypted() is still true for every device, so
  //   dma_capable()'s CC rule fails and row B5 bounces: V1 critical again.
  // lb+device-cc-accepted (aneesh, which also covers confidential-vmbus devices, engine.md §2.2):
  //   accepted ⇒ U false and is_swiotlb_active() false (§9.3); the 64-bit VMBus device is capable, so
  //   maps go direct with private memory: no V1, and no F5 either.
  it('S4: V1 critical under la-phys and lb, none with lb+device-cc-accepted (JSON)', async () => {
    const { code, out } = await matrix(s04, 'la-phys,lb,lb+device-cc-accepted', '--json');

    const result = JSON.parse(out) as MatrixJson;
    expect(code).toBe(0);
    expect(result.columns).toEqual(['la-phys', 'lb', 'lb+device-cc-accepted']);
    expect(classCells(result.comparison, 'V1')).toEqual(['critical', 'critical', null]);
    expect(result.comparison.verdicts).toEqual(['exposes-secrets', 'exposes-secrets', 'clean']);
    expect(result.reports[2]?.violations).toEqual([]);
    expect(result.reports[2]?.failures).toEqual([]);
    expect(result.reports.map((r) => /\((.*)\)$/.exec(r.profile)?.[1])).toEqual(['la-phys', 'lb', 'lb']);
    expect(result.comparison.metrics.find((m) => m.key === 'devices.storvsc0.bounces')?.values[2]).toBe(0);
  });

  it('S4: the text rendering puts one column per kernel', async () => {
    const { code, out } = await matrix(s04, 'la-phys,lb,lb+device-cc-accepted');

    expect(code).toBe(0);
    expect(out).toMatch(/^ {2} +la-phys +lb +lb\+device-cc-accepted$/m);
    expect(out).toMatch(/^ {2}verdict +exposes-secrets +exposes-secrets +clean$/m);
    expect(out).toMatch(/^ {4}V1 +critical +critical +–$/m);
    expect(out).toMatch(/^ {4}devices\.storvsc0\.maxMappingBytes +256\.0 KiB +256\.0 KiB +unlimited$/m);
  });

  it('S4: --md renders the comparison as Markdown tables', async () => {
    const { out } = await matrix(s04, 'la-phys,lb,lb+device-cc-accepted', '--md');

    expect(out).toContain('| verdict | exposes-secrets | exposes-secrets | clean |');
    expect(out).toContain('| V1 | critical | critical | – |');
    expect(out).toMatch(/^\| class \| `la-phys` \| `lb` \| `lb\+device-cc-accepted` \|$/m);
  });

  // S8 (reference §11, §9.2, §9.4): an accepted device limited to 32 bits with buffers above 4 GiB.
  // Aneesh's hooks make is_swiotlb_active() false ⇒ "DMA addr … overflow" error (F5) on lb and la-phys;
  // Alexey's hooks on L-A leave the pool active, so the non-capable accepted device bounces through the
  // shared pool instead of failing: its secrets are exposed (V1, a trusted device's data bounced).
  it('S8: F5 with Aneesh hooks, exposure with Alexey hooks on la-phys', async () => {
    const { out } = await matrix(
      example('s08-tdx-tdisp-nvme-32bit.yaml'),
      'lb+device-cc-accepted,la-phys+device-cc-accepted:alexey,la-phys+device-cc-accepted:aneesh',
      '--json',
    );

    const { comparison } = JSON.parse(out) as MatrixJson;
    expect(classCells(comparison, 'F5')).toEqual(['high', null, 'high']);
    expect(classCells(comparison, 'V1')).toEqual([null, 'critical', null]);
  });

  // S9 (reference §11, §9.3): a system_cc_shared dma-buf mapped with DMA_ATTR_CC_SHARED by an accepted
  // device. v7.1–v7.2 reject CC_SHARED when the device is not force-bounced (row A5) ⇒ F12; L-B maps
  // it directly with the unencrypted handle (B3/B6) ⇒ the secret in it is host-visible by design: V8.
  it('S9: F12 on v7.2 only', async () => {
    const { out } = await matrix(
      example('s09-tdx-accepted-cc-shared-dmabuf.yaml'),
      'v7.2+device-cc-accepted,v7.3+device-cc-accepted',
      '--json',
    );

    const { comparison } = JSON.parse(out) as MatrixJson;
    expect(classCells(comparison, 'F12')).toEqual(['high', null]);
  });

  // Reference row S9 "F12 / V8": once v7.3 maps the CC_SHARED buffer directly, the secret in it is host-visible by design (info).
  it('S9: V8 (info) on v7.3 for the secret in the CC_SHARED buffer', async () => {
    const { out } = await matrix(
      example('s09-tdx-accepted-cc-shared-dmabuf.yaml'),
      'v7.2+device-cc-accepted,v7.3+device-cc-accepted',
      '--json',
    );

    const { comparison } = JSON.parse(out) as MatrixJson;
    expect(classCells(comparison, 'V8')).toEqual([null, 'info']);
  });
});

describe('dmasim run --matrix: finding details', () => {
  // S12 (swiotlb=noforce): F8 on la-phys (A8, private memory handed to the device), F5 on lb (B5, no pool).
  it('failure rows show their kernel path (function and rule), the explanation and the kernel log line', async () => {
    const { code, out } = await matrix(example('s12-snp-swiotlb-noforce.yaml'), 'la-phys,lb');
    expect(code).toBe(0);
    const details = out.slice(out.indexOf('  finding paths and explanations:'));
    expect(details).toMatch(
      /\[\d\] dma_direct_map_\w+\(\) \(rule B5\)\n {8}.*no SWIOTLB pool.*\n {8}kernel log: DMA addr .* overflow/,
    );
    expect(details).toMatch(/\[\d\] dma_direct_map_\w+\(\) \(rule A8\)\n {8}.*ciphertext/);
  });

  it('S4: the la-phys leak reached through lb (rule A4 → B5) is moved, not new plus fixed, with one line per column', async () => {
    const { out } = await matrix(example('s04-hyperv-snp-confidential-storvsc.yaml'), 'la-phys,lb');
    const md = await matrix(example('s04-hyperv-snp-confidential-storvsc.yaml'), 'la-phys,lb', '--md');

    expect(out).toMatch(/^ {2}changes \(each column vs la-phys\):$/m);
    expect(out).toMatch(/^ {4}lb: vs la-phys: fixed 0, new 0, moved \d+, failures ±0$/m);
    expect(out).toMatch(/^ {6}moved V1 storvsc0 secret critical: A4 → B5$/m);
    expect(out).not.toMatch(/^ {6}(new|fixed) V1/m);
    expect(md.out).toContain('- `lb`: vs la-phys: fixed 0, new 0, moved');
  });

  it('violation rows show their exposure path and explanation', async () => {
    const { out } = await matrix(example('s04-hyperv-snp-confidential-storvsc.yaml'), 'la-phys');
    expect(out).toMatch(
      / {4}\[\d\] dma_direct_map_phys → swiotlb_map → swiotlb_tbl_map_single .*\n {8}.*inside the trust boundary/,
    );
  });
});

describe('compareReports', () => {
  const base: EngineReport = {
    engineVersion: '0.0.0',
    specHash: 'h',
    seed: 1,
    platform: 'sev-snp',
    profile: 'v7.2 (la-phys)',
    overlays: [],
    summary: {
      verdict: 'clean',
      levels: ['clean'],
      operations: 10,
      violations: 0,
      failures: 0,
      bySeverity: { critical: 0, high: 0, info: 0 },
      byClass: {},
      failedOperations: 0,
      bytesExposed: 0,
    },
    violations: [],
    failures: [],
    metrics: { 'swiotlb.nslabs': 8, failedMaps: 0 },
    series: { t: [], values: {} },
    kernelLog: [],
    costModel: {},
    resultHash: 'r',
  };
  const v1 = {
    class: 'V1',
    severity: 'critical',
    deviceId: 'd0',
    firstOp: 3,
    count: 2,
    bytesExposed: 8192,
    dataClass: 'secret',
    path: 'p',
    rule: 'A4',
    explanation: 'e',
    fingerprint: 'V1|d0|p|A4|sev-snp/la-phys|secret',
  } as const;

  it('matches a finding across kernels although the fingerprints differ, and leaves cells empty where it is absent', () => {
    const a = { ...base, violations: [v1] };
    const b = {
      ...base,
      profile: 'v7.3 (lb)',
      violations: [{ ...v1, count: 5, fingerprint: 'V1|d0|p|A4|sev-snp/lb|secret' }],
    };
    const c = {
      ...base,
      failures: [
        {
          class: 'F5',
          severity: 'high',
          deviceId: 'd0',
          firstOp: 0,
          count: 4,
          kernelLogLine: null,
          rule: 'B5',
          explanation: 'e',
          fingerprint: 'f',
        },
      ],
    } as EngineReport;

    const m = compareReports([
      { label: 'a', report: a },
      { label: 'b', report: b },
      { label: 'c', report: c },
    ]);

    expect(m.findings.map((f) => [f.class, f.cells.map((x) => x?.count ?? null)])).toEqual([
      ['V1', [2, 5, null]],
      ['F5', [null, null, 4]],
    ]);
    expect(m.classes).toEqual([
      { class: 'V1', cells: ['critical', 'critical', null] },
      { class: 'F5', cells: [null, null, 'high'] },
    ]);
    expect(m.metrics.map((r) => r.key)).toEqual(['swiotlb.nslabs', 'failedMaps']);
  });

  it('is pure and stable: the same reports give the same comparison and Markdown', () => {
    const columns = [
      { label: 'x', report: { ...base, violations: [v1] } },
      { label: 'y', report: base },
    ];

    expect(renderMatrixMarkdown(compareReports(columns), 't')).toBe(renderMatrixMarkdown(compareReports(columns), 't'));
    expect(compareReports(columns).findings).toHaveLength(1);
  });
});
