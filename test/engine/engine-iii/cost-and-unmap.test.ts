import { validateScenario } from '../../../src/engine/spec/validate';
import { baseSpec, explicitSpec, mapOp } from '../spec/spec-builders';
import { metric, runSpec } from './run-helpers';

describe('defect 10: swiotlb_tbl_unmap_single() skips swiotlb_bounce() with DMA_ATTR_SKIP_CPU_SYNC', () => {
  const read = (unmapAttrs?: string[]) =>
    runSpec(
      explicitSpec([
        mapOp('r1', { dir: 'from-device' }),
        { op: 'unmap', id: 'r1', ...(unmapAttrs ? { attrs: unmapAttrs } : {}) },
      ]),
    );

  it('copies the 4 KiB back without the attribute', () => {
    expect(metric(read(), 'swiotlb.bouncedBytesFromDevice')).toBe(4096);
  });

  it('copies nothing back with it, and charges no copy', () => {
    const skipped = read(['SKIP_CPU_SYNC']);
    expect(metric(skipped, 'swiotlb.bouncedBytesFromDevice')).toBe(0);
    expect(metric(skipped, 'cost.bounceCopyNs')).toBeLessThan(metric(read(), 'cost.bounceCopyNs'));
  });
});

describe('defect 9: the cost model uses the platform conversion cost, area locks, and reports cost.totalNs', () => {
  it('SEV-SNP: 64 pages decrypted and re-encrypted = one PSC round trip each + per-page work', () => {
    const report = runSpec(
      explicitSpec([
        { op: 'alloc_coherent', id: 'c1', device: 'nvme0', size: 262144 },
        { op: 'free_coherent', id: 'c1' },
      ]),
    );
    // sev-snp: perCallNs 8000, decrypt 1200/page, encrypt 1500/page, 64 pages per PSC request.
    expect(metric(report, 'cost.conversionNs')).toBe(8000 + 64 * 1200 + 8000 + 64 * 1500);
    expect(report.costModel['conversionPerCallNs']).toBe(8000);
  });

  it('charges the area lock for each bounced map and release, and sums the parts into cost.totalNs', () => {
    const report = runSpec(explicitSpec([mapOp('m1'), { op: 'unmap', id: 'm1' }]));
    expect(metric(report, 'cost.lockNs')).toBe(2 * 20);
    const parts = ['cost.bounceCopyNs', 'cost.slotSearchNs', 'cost.conversionNs', 'cost.lockNs'].map((k) =>
      metric(report, k),
    );
    expect(metric(report, 'cost.totalNs')).toBe(parts.reduce((a, b) => a + b, 0));
  });
});

describe('defect 15: queueDepth allows a full NVMe queue (65,536 entries)', () => {
  const withDepth = (queueDepth: number) => {
    const spec = baseSpec();
    (spec.workload['streams'] as Array<Record<string, unknown>>)[0]!['queueDepth'] = queueDepth;
    return validateScenario(spec);
  };
  it('accepts 65536 and rejects 65537', () => {
    expect(withDepth(65536).ok).toBe(true);
    const over = withDepth(65537);
    expect(!over.ok && over.errors[0]?.path).toBe('workload.streams[0].queueDepth');
  });
});
