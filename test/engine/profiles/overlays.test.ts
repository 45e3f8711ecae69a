import { decideDeviceAccept } from '../../../src/engine/overlays/index';
import { decideMap, setup } from './decision-helpers';

// Overlays of docs/engine-contract.md §3.2 against docs/kernel-dma.md §8.3, §9.2–§9.4 and catalogue rows S5, S7, S8.
const tdisp = { kind: 'tdisp-nvme', trust: 'tdisp-accepted' };

describe('device-cc-accepted', () => {
  it('lb + device-cc-accepted maps an accepted 64-bit device directly to private memory (S7, row B6)', () => {
    expect(
      decideMap({ platform: 'tdx', profile: 'v7.3', overlays: ['device-cc-accepted'], device: tdisp }),
    ).toMatchObject({ path: 'direct', rule: 'B6', memoryState: 'private', handleEncoding: 'encrypted' });
  });

  it('la + aneesh maps an accepted device directly without F8 (§9.3: A ⇒ U false, not forced)', () => {
    const decision = decideMap({
      platform: 'sev-snp',
      profile: 'v7.2',
      overlays: ['device-cc-accepted'],
      device: tdisp,
    });
    expect(decision).toMatchObject({ path: 'direct', rule: 'A8', memoryState: 'private' });
    expect(decision).not.toHaveProperty('failure');
  });

  it('fails a 32-bit accepted device with a buffer above 4 GiB: no SWIOTLB for it (S8, F5, §9.4)', () => {
    expect(
      decideMap({
        platform: 'tdx',
        profile: 'lb',
        overlays: ['device-cc-accepted'],
        device: { ...tdisp, dmaMaskBits: 32 },
      }),
    ).toMatchObject({ path: 'error', rule: 'B5', failure: 'F5' });
    expect(
      decideMap({
        platform: 'tdx',
        profile: 'v7.2',
        overlays: ['device-cc-accepted'],
        device: { ...tdisp, dmaMaskBits: 32 },
      }),
    ).toMatchObject({ path: 'error', rule: 'A7', failure: 'F5' });
  });

  it('alexey on L-A: the pool stays active, so the 32-bit accepted device bounces through the shared pool (§9.2 reading)', () => {
    expect(
      decideMap({
        platform: 'tdx',
        profile: 'v7.2',
        overlays: [{ name: 'device-cc-accepted', variant: 'alexey' }],
        device: { ...tdisp, dmaMaskBits: 32 },
      }),
    ).toMatchObject({ path: 'swiotlb', rule: 'A7', memoryState: 'shared' });
  });

  it('alexey on L-B: the shared pool is refused for a device that does not need shared memory (F6, §9.3)', () => {
    expect(
      decideMap({
        platform: 'tdx',
        profile: 'lb',
        overlays: [{ name: 'device-cc-accepted', variant: 'alexey' }],
        device: { ...tdisp, dmaMaskBits: 32 },
      }),
    ).toMatchObject({ path: 'error', rule: 'B5', failure: 'F6' });
  });

  it('alexey strips the C-bit from accepted handles on SEV-SNP; aneesh keeps it (§9.2 phys_to_dma row, §9.4 last row)', () => {
    const alexey = decideMap({
      platform: 'sev-snp',
      profile: 'v7.2',
      overlays: [{ name: 'device-cc-accepted', variant: 'alexey' }],
      device: tdisp,
    });
    const aneesh = decideMap({ platform: 'sev-snp', profile: 'v7.2', overlays: ['device-cc-accepted'], device: tdisp });
    expect(alexey).toMatchObject({ path: 'direct', handle: 0x100000000n });
    expect(aneesh).toMatchObject({ path: 'direct', handle: 0x100000000n | (1n << 51n) });
  });

  it('ignores swiotlb=force for accepted devices under aneesh/alexey (§9.4)', () => {
    expect(
      decideMap({
        platform: 'tdx',
        profile: 'v7.2',
        cmdline: 'swiotlb=force',
        overlays: ['device-cc-accepted'],
        device: tdisp,
      }),
    ).toMatchObject({ path: 'direct' });
  });

  it('covers Confidential VMBus devices (docs/engine-contract.md §2.2)', () => {
    expect(
      decideMap({
        platform: 'hyperv-snp-paravisor',
        profile: 'lb',
        overlays: ['device-cc-accepted'],
        device: { kind: 'vmbus-storvsc', trust: 'confidential-vmbus' },
      }),
    ).toMatchObject({ path: 'direct', rule: 'B6', memoryState: 'private' });
  });

  it('without the overlay a tdisp-accepted device is treated as untrusted (docs/engine-contract.md §3.3)', () => {
    expect(decideMap({ platform: 'tdx', profile: 'lb', device: tdisp })).toMatchObject({
      path: 'swiotlb',
      rule: 'B5',
      memoryState: 'shared',
    });
  });

  it('leaves unaccepted devices alone', () => {
    expect(
      decideMap({ platform: 'tdx', profile: 'v7.2', overlays: ['device-cc-accepted'], accepted: false, device: tdisp }),
    ).toMatchObject({ path: 'swiotlb', rule: 'A4' });
  });
});

describe('decideDeviceAccept (docs/kernel-dma.md §9.1, §8.4: -EBUSY while bound)', () => {
  it('refuses with -EBUSY while mappings or coherent regions are live', () => {
    expect(
      decideDeviceAccept({
        op: 'accept',
        isAccepted: false,
        liveMappings: 1,
        liveCoherentRegions: 0,
        deviceId: 'nvme0',
      }),
    ).toMatchObject({ ok: false, errno: '-EBUSY', accepted: false });
    expect(
      decideDeviceAccept({
        op: 'reject',
        isAccepted: true,
        liveMappings: 0,
        liveCoherentRegions: 2,
        deviceId: 'nvme0',
      }),
    ).toMatchObject({ ok: false, errno: '-EBUSY', accepted: true });
  });

  it('flips the state when nothing is live, and is a no-op when already in that state', () => {
    expect(
      decideDeviceAccept({
        op: 'accept',
        isAccepted: false,
        liveMappings: 0,
        liveCoherentRegions: 0,
        deviceId: 'nvme0',
      }),
    ).toEqual({ ok: true, accepted: true });
    expect(
      decideDeviceAccept({
        op: 'accept',
        isAccepted: true,
        liveMappings: 3,
        liveCoherentRegions: 0,
        deviceId: 'nvme0',
      }),
    ).toEqual({ ok: true, accepted: true });
  });
});

describe('dual-swiotlb-pools', () => {
  it('bounces an addressing-limited accepted device through the private pool instead of failing or exposing (docs/engine-contract.md §3.2)', () => {
    const overlays = ['device-cc-accepted', 'dual-swiotlb-pools'];
    expect(
      decideMap({ platform: 'tdx', profile: 'lb', overlays, device: { ...tdisp, dmaMaskBits: 32 } }),
    ).toMatchObject({ path: 'swiotlb', pool: 'private-default', memoryState: 'private', handleEncoding: 'encrypted' });
    expect(
      decideMap({ platform: 'tdx', profile: 'v7.2', overlays, device: { ...tdisp, dmaMaskBits: 32 } }),
    ).toMatchObject({ path: 'swiotlb', rule: 'A7', pool: 'private-default', memoryState: 'private' });
  });

  it('does not depend on the order overlays are listed in', () => {
    const a = decideMap({
      platform: 'tdx',
      profile: 'lb',
      overlays: ['dual-swiotlb-pools', 'device-cc-accepted'],
      device: { ...tdisp, dmaMaskBits: 32 },
    });
    expect(a).toMatchObject({ path: 'swiotlb', pool: 'private-default' });
  });

  it('alone changes nothing for untrusted devices: they still use the shared pool', () => {
    expect(decideMap({ platform: 'tdx', profile: 'lb', overlays: ['dual-swiotlb-pools'] })).toMatchObject({
      path: 'swiotlb',
      pool: 'default',
      memoryState: 'shared',
    });
  });
});

describe('confidential-vmbus-no-swiotlb (Tianyu RFC V2/V3, §8.3 engine note)', () => {
  const storvsc = { kind: 'vmbus-storvsc', trust: 'confidential-vmbus' };
  it('L-A: maps Confidential VMBus storvsc directly to private memory, correctly (no F8)', () => {
    const decision = decideMap({
      platform: 'hyperv-snp-paravisor',
      profile: 'v7.2',
      overlays: ['confidential-vmbus-no-swiotlb'],
      device: storvsc,
    });
    expect(decision).toMatchObject({ path: 'direct', rule: 'A8', memoryState: 'private' });
    expect(decision).not.toHaveProperty('failure');
  });

  it('L-A: a map that needs bouncing has no pool: F5', () => {
    expect(
      decideMap({
        platform: 'hyperv-snp-paravisor',
        profile: 'v7.2',
        overlays: ['confidential-vmbus-no-swiotlb'],
        device: { ...storvsc, dmaMaskBits: 32 },
      }),
    ).toMatchObject({ path: 'error', rule: 'A7', failure: 'F5' });
  });

  it('L-B: every private streaming map fails (CC rule, no pool) [derived]', () => {
    expect(
      decideMap({
        platform: 'hyperv-snp-paravisor',
        profile: 'lb',
        overlays: ['confidential-vmbus-no-swiotlb'],
        device: storvsc,
      }),
    ).toMatchObject({ path: 'error', rule: 'B5', failure: 'F5' });
  });

  it('still decrypts coherent allocations (U is still true: V3)', () => {
    const { ctx, profile } = setup({
      platform: 'hyperv-snp-paravisor',
      profile: 'v7.2',
      overlays: ['confidential-vmbus-no-swiotlb'],
      device: storvsc,
    });
    expect(profile.decideCoherentAlloc(ctx, { sizeBytes: 8192, gfp: 'blocking', attrs: [] })).toMatchObject({
      rule: 'C9',
      memoryState: 'shared',
      decryptPages: true,
    });
  });
});

describe('storvsc-bypass (S5)', () => {
  it('skips the DMA API for Confidential VMBus storvsc: private PFNs, no bounce', () => {
    expect(
      decideMap({
        platform: 'hyperv-snp-paravisor',
        profile: 'v7.2',
        overlays: ['storvsc-bypass'],
        device: { kind: 'vmbus-storvsc', trust: 'confidential-vmbus' },
      }),
    ).toMatchObject({ path: 'bypass', rule: 'storvsc-bypass', memoryState: 'private' });
  });

  it('leaves non-confidential storvsc channels on the DMA API', () => {
    expect(
      decideMap({
        platform: 'hyperv-snp-paravisor',
        profile: 'v7.2',
        overlays: ['storvsc-bypass'],
        device: { kind: 'vmbus-storvsc' },
      }),
    ).toMatchObject({ path: 'swiotlb', rule: 'A4' });
  });
});
