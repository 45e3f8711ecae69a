// The progress bar's throttling (with a fake clock) and the pure Markdown renderer of one report.
import { PassThrough } from 'node:stream';
import { createProgressBar } from '../../../src/cli/progress';
import type { EngineReport } from '../../../src/engine/index';
import { formatBytes, formatCount, renderReportMarkdown } from '../../../src/engine/report/markdown';

function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

describe('createProgressBar', () => {
  it('draws nothing for the first 300 ms, then at most every 100 ms, and erases itself', () => {
    const out = capture();
    let now = 0;
    const bar = createProgressBar(out.stream, 'spec.yaml', () => now);

    now = 200;
    bar.update(10, 100);
    expect(out.text()).toBe('');
    now = 400;
    bar.update(40, 100);
    now = 450;
    bar.update(45, 100);
    now = 520;
    bar.update(52, 100);
    bar.clear();

    const draws = out
      .text()
      .split('\r')
      .filter((d) => d.startsWith('['));
    expect(draws).toHaveLength(2);
    expect(draws[0]).toMatch(/^\[#{10}-{14}\] +40% +40\/100 ops +[\d.]+ M ops\/s +spec\.yaml/);
    expect(draws[0]?.endsWith('spec.yaml\u001b[K')).toBe(true);
    expect(out.text().endsWith('\r\u001b[K')).toBe(true);
  });

  it('never draws a finished run and clears nothing when it never drew', () => {
    const out = capture();
    let now = 0;
    const bar = createProgressBar(out.stream, 'x', () => now);

    now = 1000;
    bar.update(100, 100);
    bar.clear();

    expect(out.text()).toBe('');
  });
});

describe('renderReportMarkdown', () => {
  const report: EngineReport = {
    engineVersion: '1.2.3',
    specHash: 'abc',
    seed: 9,
    platform: 'tdx',
    profile: 'v7.3 (lb)',
    overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
    summary: {
      verdict: 'exposes-secrets',
      levels: ['exposes-secrets', 'failing'],
      operations: 12345,
      violations: 1,
      failures: 1,
      bySeverity: { critical: 1, high: 1, info: 0 },
      byClass: { V1: 3, F1: 1 },
      failedOperations: 1,
      bytesExposed: 12288,
    },
    violations: [
      {
        class: 'V1',
        severity: 'critical',
        deviceId: 'nvme0',
        firstOp: 4,
        count: 3,
        bytesExposed: 12288,
        dataClass: 'secret',
        path: 'a | b',
        rule: 'B5',
        explanation: 'why',
        fingerprint: 'f',
      },
    ],
    failures: [
      {
        class: 'F1',
        severity: 'high',
        deviceId: 'nvme0',
        firstOp: 7,
        count: 2,
        kernelLogLine: 'swiotlb buffer is full',
        rule: 'B5',
        explanation: 'full',
        fingerprint: 'g',
      },
    ],
    metrics: {
      'swiotlb.nslabs': 32768,
      'swiotlb.bouncedBytesToDevice': 3 * 2 ** 20,
      'devices.nvme0.maxMappingBytes': 'unlimited',
      'cost.bounceCopyNs': 2_500_000,
    },
    series: { t: [], values: {} },
    kernelLog: [{ op: -1, text: 'software IO TLB: area num 4.' }],
    costModel: {},
    resultHash: 'deadbeef',
  };

  it('renders the verdict, kernel, tables with escaped cells, metrics with units and the boot log', () => {
    const md = renderReportMarkdown(report, 'my.yaml');

    expect(md).toMatch(
      /^## my\.yaml: exposes-secrets\n\nPlatform `tdx`, kernel `v7\.3 \(lb\) \+ device-cc-accepted \(dan\)`, seed 9, 12,345 operations, engine 1\.2\.3\./,
    );
    expect(md).toContain('| V1 | critical | nvme0 | secret | 12.0 KiB | 3 | 4 | B5 | a \\| b | why |');
    expect(md).toContain('| F1 | high | nvme0 | 2 | 7 | B5 | `swiotlb buffer is full` | full |');
    expect(md).toContain('| `swiotlb.bouncedBytesToDevice` | 3.0 MiB |');
    expect(md).toContain('| `devices.nvme0.maxMappingBytes` | unlimited |');
    expect(md).toContain('| `cost.bounceCopyNs` | 2,500 µs |');
    expect(md).toContain('```\nsoftware IO TLB: area num 4.\n```');
    expect(md).toContain('resultHash `deadbeef`');
  });

  it('formats counts and bytes without the host locale', () => {
    expect([formatCount(0), formatCount(1234567), formatCount(-1000), formatCount(4.562)]).toEqual([
      '0',
      '1,234,567',
      '-1,000',
      '4.562',
    ]);
    expect([formatBytes(512), formatBytes(4096), formatBytes(3 * 2 ** 20), formatBytes(10 * 2 ** 30)]).toEqual([
      '512 B',
      '4.0 KiB',
      '3.0 MiB',
      '10.00 GiB',
    ]);
  });
});
