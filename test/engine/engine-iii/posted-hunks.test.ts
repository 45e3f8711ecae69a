import { overlays, parseOverlayVariant } from '../../../src/engine/index';
import { validateScenario } from '../../../src/engine/spec/validate';
import { classesOf, runSpec } from './run-helpers';

/**
 * Issue #15 defect 2: the posted device_cc_accepted() hunks, and hunk switching. Derived from
 * dma_direct_map_phys() (kernel/dma/direct.h): `if (is_swiotlb_force_bounce(dev)) return
 * swiotlb_map(...)` comes before any other test, and on x86 CoCo guests pci_swiotlb_detect() sets
 * SWIOTLB_FORCE for every device. The posted hunks change only is_swiotlb_active(),
 * is_swiotlb_for_alloc() and dma_direct_use_pool(), so a Confidential VMBus storvsc still bounces
 * every request through the shared pool; adding the is_swiotlb_force_bounce() hunk (and the
 * force_dma_unencrypted() one for coherent memory) is what stops the leak.
 */
function storvscSpec(variant: string): Record<string, unknown> {
  return {
    apiVersion: 'dmasim/v1',
    name: 'posted',
    vm: { platform: 'hyperv-snp-paravisor', memoryMiB: 8192, vcpus: 4 },
    kernel: { profile: 'v7.2', overlays: [{ name: 'device-cc-accepted', variant }] },
    devices: [{ id: 'storvsc0', kind: 'vmbus-storvsc', trust: 'confidential-vmbus' }],
    workload: {
      seed: 1,
      operations: 400,
      streams: [
        {
          device: 'storvsc0',
          type: 'block',
          data: 'secret',
          direction: 'to-device',
          sizes: { dist: 'fixed', value: 4096 },
        },
      ],
    },
  };
}

describe('device-cc-accepted:posted (is_swiotlb_force_bounce() untouched, dma_direct_map_phys())', () => {
  it('still bounces Confidential VMBus storvsc through the shared pool on SNP: V1 remains', () => {
    const report = runSpec(storvscSpec('posted'));
    expect(classesOf(report)).toContain('V1');
    expect(report.metrics['devices.storvsc0.bounces']).toBe(report.metrics['devices.storvsc0.maps']);
    expect(report.overlays).toEqual([
      {
        name: 'device-cc-accepted',
        variant: 'posted',
        hunks: ['swiotlb-active-off', 'swiotlb-for-alloc-off', 'use-pool-off'],
      },
    ]);
  });

  it('aneesh (with the is_swiotlb_force_bounce() hunk) maps it directly: no violation', () => {
    const report = runSpec(storvscSpec('aneesh'));
    expect(report.violations).toEqual([]);
    expect(report.metrics['devices.storvsc0.bounces']).toBe(0);
  });

  it('posted+force-bounce-off is the missing hunk: the streaming leak stops', () => {
    const report = runSpec(storvscSpec('posted+force-bounce-off'));
    expect(report.violations).toEqual([]);
    expect(report.overlays[0]?.hunks).toEqual([
      'force-bounce-off',
      'swiotlb-active-off',
      'swiotlb-for-alloc-off',
      'use-pool-off',
    ]);
  });

  it('aneesh-force-bounce-off brings the leak back (a hunk switched off)', () => {
    expect(classesOf(runSpec(storvscSpec('aneesh-force-bounce-off')))).toContain('V1');
  });

  it('an explicit hunk list replaces the variant and normalises to registry order', () => {
    const result = validateScenario({
      ...storvscSpec('posted'),
      kernel: {
        profile: 'v7.2',
        overlays: [{ name: 'device-cc-accepted', variant: 'posted', hunks: ['use-pool-off', 'force-bounce-off'] }],
      },
    });
    expect(result.ok && result.spec.kernel.overlays).toEqual([
      { name: 'device-cc-accepted', variant: 'posted', hunks: ['force-bounce-off', 'use-pool-off'] },
    ]);
  });

  it('a plain variant normalises without a hunk list (unchanged spec hashes)', () => {
    const result = validateScenario(storvscSpec('posted+use-pool-off'));
    expect(result.ok && result.spec.kernel.overlays).toEqual([{ name: 'device-cc-accepted', variant: 'posted' }]);
  });

  it('rejects an unknown hunk, naming the valid ones', () => {
    const result = validateScenario(storvscSpec('posted+robin'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toMatchObject({
      path: 'kernel.overlays[0].variant',
      message: expect.stringMatching(/unknown hunk.*force-bounce-off/),
    });
    expect(parseOverlayVariant('device-cc-accepted', 'robin')).toEqual({
      problem: expect.stringMatching(/aneesh, alexey, dan, posted/),
    });
  });
});

describe('overlay registry contract (variants with description and hunks)', () => {
  it('every overlay lists its variants, each with a one-line description and hunks naming a kernel function', () => {
    for (const overlay of Object.values(overlays)) {
      expect(overlay.variants.length).toBeGreaterThan(0);
      for (const variant of overlay.variants) {
        expect(variant.description).not.toMatch(/\n/);
        for (const hunk of variant.hunks) expect(hunk.summary).toMatch(/^\w+\(\)/);
      }
    }
    expect(overlays['device-cc-accepted'].variants.find((v) => v.name === 'posted')?.hunks.map((h) => h.id)).toEqual([
      'swiotlb-active-off',
      'swiotlb-for-alloc-off',
      'use-pool-off',
    ]);
  });
});
