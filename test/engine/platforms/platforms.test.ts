import { createDmaEnvironment } from '../../../src/engine/profiles/index';
import { platforms, ramRanges } from '../../../src/engine/platforms/index';
import { dmaBitMask, toPhysAddr } from '../../../src/engine/spec/address';
import { platformIds } from '../../../src/engine/spec/names';
import { resolveScenario } from '../../../src/engine/spec/normalize';
import { validateScenario } from '../../../src/engine/spec/validate';
import type { KernelProfileId } from '../../../src/engine/spec/names';

const ctx = (profileId: KernelProfileId = 'la-phys') => ({ profileId, cBit: 51, ipaBits: 48, ramEnd: 0x440000000n });
const pciDevice = { dmaMask: dmaBitMask(64), coherentMask: dmaBitMask(32), busDmaLimit: 0n };

describe('platform registry (docs/engine-contract.md §3.1)', () => {
  it('has one platform per id', () => {
    expect(Object.keys(platforms).sort()).toEqual([...platformIds].sort());
    for (const id of platformIds) expect(platforms[id].id).toBe(id);
  });
});

describe('forceDmaUnencrypted (docs/kernel-dma.md §2.1)', () => {
  it.each([
    'sev',
    'sev-snp',
    'tdx',
    'hyperv-vbs',
    'hyperv-snp-paravisor',
    'hyperv-tdx-paravisor',
    'cca-realm',
    's390-pv',
    'ppc-svm',
  ] as const)('is true for every device on %s', (id) => {
    expect(platforms[id].forceDmaUnencrypted(pciDevice, ctx())).toBe(true);
  });
  it('is false on a non-CoCo VM (generic stub)', () => {
    expect(platforms.none.forceDmaUnencrypted(pciDevice, ctx())).toBe(false);
  });
  it('on an SME host is true only when min_not_zero(coherent mask, bus limit) <= DMA_BIT_MASK(C-bit)', () => {
    const sme = platforms['sme-host'];
    expect(sme.forceDmaUnencrypted(pciDevice, ctx())).toBe(true); // 32-bit coherent mask
    expect(sme.forceDmaUnencrypted({ ...pciDevice, coherentMask: dmaBitMask(64) }, ctx())).toBe(false);
    expect(sme.forceDmaUnencrypted({ ...pciDevice, coherentMask: dmaBitMask(51) }, ctx())).toBe(true);
    expect(
      sme.forceDmaUnencrypted({ ...pciDevice, coherentMask: dmaBitMask(64), busDmaLimit: dmaBitMask(40) }, ctx()),
    ).toBe(true);
  });
});

describe('SWIOTLB boot policy (docs/kernel-dma.md §2.2)', () => {
  it.each(['sev-snp', 'tdx', 'hyperv-snp-paravisor', 'cca-realm', 's390-pv', 'ppc-svm'] as const)(
    '%s: enabled and forced up to v7.2, enabled but not forced on L-B',
    (id) => {
      expect(platforms[id].swiotlbBoot(ctx('la-phys'))).toMatchObject({
        archWantsSwiotlb: true,
        archForceBounce: true,
      });
      expect(platforms[id].swiotlbBoot(ctx('lb'))).toMatchObject({ archWantsSwiotlb: true, archForceBounce: false });
    },
  );
  it('ppc-svm always uses SWIOTLB_ANY; s390-pv from L-B on', () => {
    expect(platforms['ppc-svm'].swiotlbBoot(ctx('la-phys')).swiotlbAny).toBe(true);
    expect(platforms['s390-pv'].swiotlbBoot(ctx('la-phys')).swiotlbAny).toBe(false);
    expect(platforms['s390-pv'].swiotlbBoot(ctx('lb')).swiotlbAny).toBe(true);
  });
  it('non-CoCo x86 wants SWIOTLB only when RAM extends above 4 GiB', () => {
    expect(platforms.none.swiotlbBoot({ ...ctx(), ramEnd: 0x80000000n }).archWantsSwiotlb).toBe(false);
    expect(platforms.none.swiotlbBoot(ctx()).archWantsSwiotlb).toBe(true);
  });
});

describe('cc_platform_has attributes (§2.1 prose, §14.1 item 3)', () => {
  it('arm64 Realms, powerpc and s390 report CC_ATTR_GUEST_MEM_ENCRYPT only from L-B; s390 reports nothing before', () => {
    expect(platforms['cca-realm'].ccAttributes('la-phys')).toEqual({
      guestMemEncrypt: false,
      memEncrypt: true,
      hostMemEncrypt: false,
    });
    expect(platforms['cca-realm'].ccAttributes('lb').guestMemEncrypt).toBe(true);
    expect(platforms['s390-pv'].ccAttributes('la-phys')).toEqual({
      guestMemEncrypt: false,
      memEncrypt: false,
      hostMemEncrypt: false,
    });
    expect(platforms.tdx.ccAttributes('v6.6').guestMemEncrypt).toBe(true);
    expect(platforms['sme-host'].ccAttributes('lb')).toEqual({
      guestMemEncrypt: false,
      memEncrypt: true,
      hostMemEncrypt: true,
    });
  });
});

describe('DMA address encodings (docs/kernel-dma.md §1.3)', () => {
  const phys = toPhysAddr('0x100000000');
  it('SEV family: the private alias carries the C-bit, the shared one does not', () => {
    for (const id of ['sev', 'sev-snp', 'sme-host'] as const) {
      expect(platforms[id].physToDmaEncrypted(phys, ctx())).toBe(0x100000000n | (1n << 51n));
      expect(platforms[id].physToDmaUnencrypted(phys, ctx())).toBe(0x100000000n);
    }
    expect(platforms.sev.physToDmaEncrypted(phys, { ...ctx(), cBit: 47 })).toBe(0x100000000n | (1n << 47n));
  });
  it('CCA: the shared alias sets the top IPA bit', () => {
    expect(platforms['cca-realm'].physToDmaEncrypted(phys, ctx())).toBe(0x100000000n);
    expect(platforms['cca-realm'].physToDmaUnencrypted(phys, ctx())).toBe(0x100000000n | (1n << 47n));
    expect(platforms['cca-realm'].physToDmaUnencrypted(phys, { ...ctx(), ipaBits: 40 })).toBe(
      0x100000000n | (1n << 39n),
    );
  });
  it('TDX and Hyper-V vTOM: both handles are the canonical address', () => {
    for (const id of ['tdx', 'hyperv-vbs', 'hyperv-snp-paravisor', 'hyperv-tdx-paravisor'] as const) {
      expect(platforms[id].physToDmaEncrypted(phys, ctx())).toBe(0x100000000n);
      expect(platforms[id].physToDmaUnencrypted(phys, ctx())).toBe(0x100000000n);
    }
  });
});

describe('CoCo auto-size rule (docs/kernel-dma.md §2.3)', () => {
  it('x86 CoCo guests ask for 6 % of RAM clamped to [64 MiB, 1 GiB]; others do not', () => {
    expect(platforms['sev-snp'].archRequestedSwiotlbBytes(8 * 2 ** 30)).toBe(515396075);
    expect(platforms.tdx.archRequestedSwiotlbBytes(512 * 2 ** 20)).toBe(64 * 2 ** 20);
    expect(platforms['hyperv-snp-paravisor'].archRequestedSwiotlbBytes(64 * 2 ** 30)).toBe(2 ** 30);
    expect(platforms['cca-realm'].archRequestedSwiotlbBytes(8 * 2 ** 30)).toBeNull();
    expect(platforms['s390-pv'].cocoAutoSize).toBeNull();
    expect(platforms['sme-host'].archRequestedSwiotlbBytes(8 * 2 ** 30)).toBeNull();
  });

  it('gives the §5.3 worked example: SNP 8 GiB, 16 vCPUs → 262,144 slots after area rounding', () => {
    const result = validateScenario({
      apiVersion: 'dmasim/v1',
      name: 'x',
      vm: { platform: 'sev-snp', memoryMiB: 8192, vcpus: 16 },
      kernel: { profile: 'v7.2' },
      devices: [{ id: 'd', kind: 'nvme' }],
      workload: { operations: 0 },
    });
    if (!result.ok) throw new Error('invalid');
    expect(createDmaEnvironment(resolveScenario(result.spec)).swiotlb.defaultPoolSlots).toBe(262144);
  });

  it('swiotlb=noforce leaves no pool (docs/kernel-dma.md §2.2)', () => {
    const result = validateScenario({
      apiVersion: 'dmasim/v1',
      name: 'x',
      vm: { platform: 'tdx', memoryMiB: 8192, vcpus: 4 },
      kernel: { profile: 'v7.2', cmdline: 'swiotlb=noforce' },
      devices: [{ id: 'd', kind: 'nvme' }],
      workload: { operations: 0 },
    });
    if (!result.ok) throw new Error('invalid');
    expect(createDmaEnvironment(resolveScenario(result.spec)).swiotlb).toMatchObject({
      defaultPoolSlots: 0,
      noforce: true,
    });
  });
});

describe('observers and conversion costs (docs/kernel-dma.md §1.2, §1.4, §7.1)', () => {
  it('only the OpenHCL platforms have a paravisor observer', () => {
    const withParavisor = platformIds.filter((id) => platforms[id].observers.paravisor);
    expect(withParavisor.sort()).toEqual(['hyperv-snp-paravisor', 'hyperv-tdx-paravisor']);
  });
  it('SNP batches at most 64 PSC entries; TDX always flushes caches; non-CoCo costs nothing', () => {
    expect(platforms['sev-snp'].conversionCost.pagesPerCall).toBe(64);
    expect(platforms.tdx.conversionCost.needsCacheFlush).toBe(true);
    expect(platforms.none.conversionCost).toMatchObject({ perCallNs: 0, decryptPerPageNs: 0, encryptPerPageNs: 0 });
  });
});

describe('memory layouts (docs/engine-contract.md §2 vm.layout)', () => {
  it('x86 remaps RAM above 2 GiB to 4 GiB once the guest has 2.75 GiB or more', () => {
    expect(ramRanges('x86', 16n << 30n)).toEqual([
      { start: 0n, end: 2n << 30n },
      { start: 4n << 30n, end: 18n << 30n },
    ]);
    expect(ramRanges('x86', 2n << 30n)).toEqual([{ start: 0n, end: 2n << 30n }]);
  });
  it('arm-virt starts RAM at 1 GiB; flat at 0', () => {
    expect(ramRanges('arm-virt', 1n << 30n)).toEqual([{ start: 1n << 30n, end: 2n << 30n }]);
    expect(ramRanges('flat', 1n << 30n)).toEqual([{ start: 0n, end: 1n << 30n }]);
  });
});
