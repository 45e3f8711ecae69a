import { failureDetectors } from '../../../src/engine/index';
import { explicitSpec } from '../spec/spec-builders';
import { runSpec } from './run-helpers';

/**
 * Defect 5. With the use-pool-off hunk dma_direct_use_pool() is false for an accepted device, so a
 * non-coherent accepted device's GFP_ATOMIC dma_alloc_coherent() skips the atomic pool and takes
 * row C8: __dma_direct_alloc_pages() then dma_common_contiguous_remap() → vmap(), which may sleep —
 * with CONFIG_DEBUG_ATOMIC_SLEEP the kernel prints "BUG: sleeping function called from invalid
 * context" (might_sleep() in vmap(), mm/vmalloc.c). Mainline takes the atomic pool (row C5).
 */
const alloc = (overlays: unknown[]) =>
  runSpec(
    explicitSpec([{ op: 'alloc_coherent', id: 'c1', device: 'acc0', size: 4096, gfp: 'atomic' }], (s) => {
      s.vm = { platform: 'cca-realm', memoryMiB: 8192, vcpus: 4 };
      s.kernel['overlays'] = overlays;
      s.devices = [{ id: 'acc0', kind: 'platform', trust: 'tdisp-accepted', coherent: false }];
    }),
  );

describe('defect 5: remap in atomic context (dma_direct_alloc() row C8 with GFP_ATOMIC)', () => {
  it('aneesh (use-pool-off): F16 with the kernel\'s "sleeping function called from invalid context"', () => {
    const report = alloc(['device-cc-accepted']);
    expect(report.failures.map((f) => f.class)).toEqual(['F16']);
    expect(report.kernelLog.map((l) => l.text).join('\n')).toMatch(
      /BUG: sleeping function called from invalid context/,
    );
    expect(failureDetectors.F16.kernelFunction).toBe('dma_common_contiguous_remap');
  });

  it('without the hunk the atomic pool serves it: no F16', () => {
    expect(alloc(['device-cc-accepted']).failures.length).toBe(1);
    expect(
      alloc([{ name: 'device-cc-accepted', variant: 'aneesh-use-pool-off' }]).failures.map((f) => f.class),
    ).not.toContain('F16');
  });
});
