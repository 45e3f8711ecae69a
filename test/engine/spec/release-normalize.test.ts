import { resolveKernel } from '../../../src/engine/spec/release';
import { resolveScenario } from '../../../src/engine/spec/normalize';
import { validateScenario } from '../../../src/engine/spec/validate';
import { baseSpec, type SpecObject } from './spec-builders';

describe('resolveKernel (docs/engine-contract.md §3.2, docs/kernel-dma.md §0 and §5.11)', () => {
  // [profile string, profile id, allocator rules, MMIO attr (v6.18), MMIO force fix (v7.0), CC_SHARED (v7.1)]
  const table: Array<[string, string, string, boolean, boolean, boolean]> = [
    ['v6.6', 'v6.6', 'v6.6', false, false, false], // §0: v6.6 profile; §5.11 item 1: old rules
    ['v6.8', 'v6.6', 'v6.6', false, false, false],
    ['v6.9', 'la-classic', 'v6.9', false, false, false], // §5.11 item 1: pad_slots but separate alloc_size
    ['v6.10', 'la-classic', 'v6.10', false, false, false],
    ['v6.12', 'la-classic', 'v6.10', false, false, false],
    ['v6.17', 'la-classic', 'v6.10', false, false, false],
    ['v6.18', 'la-phys', 'v6.10', true, false, false], // §0: dma_direct_map_phys() + DMA_ATTR_MMIO
    ['v7.0', 'la-phys', 'v6.10', true, true, false], // §0: 47322c469d4a
    ['v7.1', 'la-phys', 'v6.10', true, true, true], // §0: REQUIRE_COHERENT, CC_SHARED
    ['v7.2', 'la-phys', 'v6.10', true, true, true],
    ['v7.3', 'lb', 'v6.10', true, true, true], // §0: L-B
    ['v7.9', 'lb', 'v6.10', true, true, true],
    ['la-classic', 'la-classic', 'v6.10', false, false, false], // bare id = newest release (v6.17)
    ['la-phys', 'la-phys', 'v6.10', true, true, true], // v7.2
    ['lb', 'lb', 'v6.10', true, true, true],
  ];
  it.each(table)(
    '%s → %s (rules %s, MMIO %s, MMIO fix %s, CC_SHARED %s)',
    (profile, id, rules, mmio, fix, ccShared) => {
      expect(resolveKernel(profile)).toMatchObject({
        profileId: id,
        allocatorRules: rules,
        hasMmioAttr: mmio,
        hasMmioForceFix: fix,
        hasCcSharedAttrs: ccShared,
      });
    },
  );

  it.each(['v6.5', 'v5.15', 'v6.20', 'v8.0', 'v7', '7.2', 'latest', 'L-B'])('does not resolve %s', (profile) => {
    expect(resolveKernel(profile)).toBeUndefined();
  });
});

function normalized(patch: (spec: SpecObject) => void = () => undefined) {
  const spec = baseSpec();
  patch(spec);
  const result = validateScenario(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

describe('normalizeScenario (docs/engine-contract.md §2, §2.2)', () => {
  const deviceCases: Array<[string, Record<string, unknown>]> = [
    // PCI defaults: pci_device_add(): 32-bit coherent mask, 64 KiB segments, 4 GiB boundary (docs/kernel-dma.md §3 helpers).
    [
      'virtio-blk',
      {
        dmaMaskBits: 64,
        coherentMaskBits: 32,
        minAlignMask: '0x0',
        segBoundaryMask: '0xffffffff',
        maxSegmentBytes: 65536,
      },
    ],
    // nvme: min_align_mask 4095.
    ['nvme', { coherentMaskBits: 32, minAlignMask: '0xfff', segBoundaryMask: '0xffffffff' }],
    ['tdisp-nvme', { minAlignMask: '0xfff' }],
    // VMBus: 64-bit masks (vmbus_device_register()).
    ['vmbus-storvsc', { dmaMaskBits: 64, coherentMaskBits: 64, segBoundaryMask: '0xffffffffffffffff' }],
    ['platform', { coherentMaskBits: 64, minAlignMask: '0x0' }],
  ];
  it.each(deviceCases)('fills %s device defaults', (kind, expected) => {
    const spec = normalized((s) => {
      s.vm['platform'] = 'hyperv-snp-paravisor';
      s.devices[0] = { id: 'nvme0', kind };
    });
    expect(spec.devices[0]).toMatchObject({
      ...expected,
      trust: 'untrusted',
      coherent: true,
      busDmaLimitBits: null,
      restrictedPoolMiB: null,
      accessPlatform: true,
    });
  });

  it('keeps explicit device fields and writes masks as hex', () => {
    const spec = normalized((s) => {
      s.devices[0] = { id: 'nvme0', kind: 'nvme', minAlignMask: 2047, segBoundaryMask: '0xFFFF', coherentMaskBits: 64 };
    });
    expect(spec.devices[0]).toMatchObject({ minAlignMask: '0x7ff', segBoundaryMask: '0xffff', coherentMaskBits: 64 });
  });

  it.each([
    ['sev-snp', { cBit: 51, layout: 'x86' }],
    ['sme-host', { cBit: 51, layout: 'x86' }],
    ['tdx', { layout: 'x86' }],
    ['cca-realm', { ipaBits: 48, layout: 'arm-virt' }],
    ['s390-pv', { layout: 'flat' }],
    ['ppc-svm', { layout: 'flat' }],
  ] as const)('fills %s vm defaults', (platform, expected) => {
    const spec = normalized((s) => {
      s.vm['platform'] = platform;
      s.vm['memoryMiB'] = 8192;
    });
    expect(spec.vm).toMatchObject({ ...expected, reservedMiB: 0 });
    if (!('cBit' in expected)) expect(spec.vm.cBit).toBeUndefined();
  });

  it('normalises overlays to {name, variant} with aneesh as the default device-cc-accepted variant', () => {
    const spec = normalized((s) => {
      s.kernel['overlays'] = ['device-cc-accepted', 'dual-swiotlb-pools', { name: 'storvsc-bypass' }];
    });
    expect(spec.kernel.overlays).toEqual([
      { name: 'device-cc-accepted', variant: 'aneesh' },
      { name: 'dual-swiotlb-pools', variant: null },
      { name: 'storvsc-bypass', variant: null },
    ]);
  });

  it('fills kernel config, faults and limits defaults (docs/engine-contract.md §2, §4)', () => {
    const spec = normalized();
    expect(spec.kernel.config).toEqual({
      swiotlbDynamic: false,
      dmaCoherentPool: true,
      debugFs: true,
      deferredWorkEveryOps: 64,
    });
    expect(spec.faults).toEqual({ decryptFailRate: 0, encryptFailRate: 0 });
    expect(spec.limits).toEqual({ maxOperations: 10_000_000 });
    expect(spec.workload.streams[0]).toMatchObject({
      direction: 'mixed',
      queueDepth: 32,
      sgSegments: 1,
      gfp: 'blocking',
      weight: 1,
    });
  });

  it('is idempotent: a normalised spec validates to itself (the API re-validates stored specs)', () => {
    for (const patch of [
      (s: SpecObject) => {
        s.kernel['overlays'] = ['device-cc-accepted'];
      },
      (s: SpecObject) => {
        s.vm['platform'] = 'cca-realm';
        s.vm['memoryMiB'] = 4096;
      },
    ]) {
      const spec = normalized(patch);
      const again = validateScenario(JSON.parse(JSON.stringify(spec)));
      expect(again).toEqual({ ok: true, spec });
    }
  });

  it('resolveScenario turns the release into a profile and the masks into bigints', () => {
    const resolved = resolveScenario(
      normalized((s) => {
        s.kernel['cmdline'] = 'swiotlb=8192,4 coherent_pool=2M';
        s.vm['reservedMiB'] = 512;
      }),
    );
    expect(resolved.kernel).toMatchObject({ profileId: 'la-phys', releaseLabel: 'v7.2' });
    expect(resolved.devices[0]).toMatchObject({
      dmaMask: (1n << 64n) - 1n,
      coherentMask: 0xffffffffn,
      minAlignMask: 0xfffn,
      busDmaLimit: 0n,
    });
    expect(resolved.swiotlbCmdline).toMatchObject({ nslabs: 8192, nareas: 4, force: false, noforce: false });
    expect(resolved.coherentPoolBytes).toBe(2 * 2 ** 20);
    expect(resolved.totalRamBytes).toBe((16384 - 512) * 2 ** 20);
    expect(resolved.platformContext).toMatchObject({ cBit: 51, ramEnd: 18n << 30n });
  });
});
