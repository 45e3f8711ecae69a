import { explicitSpec, mapOp } from '../spec/spec-builders';
import { runSpec } from './run-helpers';

const lines = (report: { kernelLog: ReadonlyArray<{ text: string }> }): string =>
  report.kernelLog.map((l) => l.text).join('\n');

describe("defect 13: kernel log texts are the kernel's", () => {
  it('swiotlb_tbl_map_single() v6.10+: "sz:" includes the pre-padding offset (256 KiB NVMe map at 0x200 → 262656)', () => {
    // offset = swiotlb_align_offset(): 0x200 & min_align_mask 0xfff & (IO_TLB_SIZE - 1); size = mapping_size + offset.
    const report = runSpec(
      explicitSpec([mapOp('big', { buffer: { size: 262144, phys: '0x100000200', data: 'secret' } })]),
    );
    expect(lines(report)).toMatch(/swiotlb buffer is full \(sz: 262656 bytes\)/);
  });

  it('dma_alloc_from_pool(): DMA_ATTR_NO_WARN (→ __GFP_NOWARN in dma_direct_alloc()) silences "DMA pool exhausted"', () => {
    const alloc = (attrs: string[]) =>
      runSpec(
        explicitSpec([
          { op: 'alloc_coherent', id: 'c1', device: 'nvme0', size: 8 * 1024 * 1024, gfp: 'atomic', attrs },
        ]),
      );
    const loud = alloc([]);
    const quiet = alloc(['NO_WARN']);
    expect(lines(loud)).toMatch(/DMA pool exhausted for nvme0/);
    expect(lines(quiet)).not.toMatch(/DMA pool exhausted/);
    expect(quiet.failures.map((f) => f.class)).toEqual(['F7']); // the allocation still fails
  });

  it('swiotlb_dyn_alloc() grows the pool without printing anything', () => {
    const spec = explicitSpec(
      [
        ...Array.from({ length: 40 }, (_, i) =>
          mapOp(`m${i}`, {
            buffer: { size: 262144, phys: `0x${(0x100000000 + i * 0x40000).toString(16)}`, data: 'public' },
          }),
        ),
        { op: 'run_deferred' },
      ],
      (s) => {
        s.kernel['cmdline'] = 'swiotlb=512';
        s.kernel['config'] = { swiotlbDynamic: true };
      },
    );
    const report = runSpec(spec);
    expect(report.metrics['swiotlb.poolsGrown']).toBeGreaterThan(0);
    expect(lines(report)).not.toMatch(/pool grown/);
  });
});
