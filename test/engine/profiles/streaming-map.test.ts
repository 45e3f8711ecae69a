import { decideMap, mapRequest, setup } from './decision-helpers';

// Decision tables of docs/kernel-dma.md §3.1 (L-A, rows A1–A8) and §3.2 (L-B, rows B0–B6), with the §14
// corrections. Buffers at 0x100000000 are above 4 GiB (x86 layout, 16 GiB guest).

describe('decideStreamingMap on L-A (la-phys v7.2)', () => {
  it('bounces every private buffer through the shared pool in a CoCo guest: arch SWIOTLB_FORCE (row A4, §3.1 note)', () => {
    const decision = decideMap({ platform: 'sev-snp', profile: 'v7.2' });
    expect(decision).toMatchObject({
      path: 'swiotlb',
      rule: 'A4',
      pool: 'default',
      memoryState: 'shared',
      handleEncoding: 'unencrypted',
      reason: 'forced',
      forcedOnlyByCmdline: false,
    });
  });

  it('bounces Confidential VMBus storvsc on v7.2 through the shared SWIOTLB (S4, the V1 cause, §8.2 gap)', () => {
    const decision = decideMap({
      platform: 'hyperv-snp-paravisor',
      profile: 'v7.2',
      device: { kind: 'vmbus-storvsc', trust: 'confidential-vmbus' },
    });
    expect(decision).toMatchObject({ path: 'swiotlb', rule: 'A4', memoryState: 'shared' });
  });

  it('fails MMIO under forced bounce (row A1, F10)', () => {
    expect(decideMap({ profile: 'v7.2' }, '0xfe000000', 4096, ['MMIO'])).toMatchObject({
      path: 'error',
      rule: 'A1',
      failure: 'F10',
      log: null,
    });
  });

  it('v6.18 (before the v7.0 fix) WARNs before failing MMIO under force (row A1, docs/kernel-dma.md §0)', () => {
    const decision = decideMap({ profile: 'v6.18' }, '0xfe000000', 4096, ['MMIO']);
    expect(decision).toMatchObject({ path: 'error', rule: 'A1', failure: 'F10' });
    expect(decision.path === 'error' && decision.log).toMatch(/WARN/);
  });

  it('fails REQUIRE_COHERENT under forced bounce without CC_SHARED (row A2, F10)', () => {
    expect(decideMap({ profile: 'v7.1' }, '0x100000000', 4096, ['REQUIRE_COHERENT'])).toMatchObject({
      path: 'error',
      rule: 'A2',
      failure: 'F10',
    });
  });

  it('maps a CC_SHARED buffer directly with the unencrypted handle under force (row A3)', () => {
    const decision = decideMap({ platform: 'cca-realm', profile: 'v7.2', memoryMiB: 8192 }, '0x80000000', 4096, [
      'CC_SHARED',
    ]);
    // CCA: the shared alias sets the top IPA bit (bit 47 for the default 48-bit IPA, §1.3).
    expect(decision).toMatchObject({
      path: 'direct',
      rule: 'A3',
      handleEncoding: 'unencrypted',
      memoryState: 'shared',
      handle: 0x80000000n | (1n << 47n),
    });
  });

  it('tests CC_SHARED before MMIO/REQUIRE_COHERENT under force: MMIO|CC_SHARED maps with handle = phys (§14.1 item 1)', () => {
    expect(decideMap({ profile: 'v7.2' }, '0xfe000000', 4096, ['MMIO', 'CC_SHARED'])).toMatchObject({
      path: 'direct',
      rule: 'A3',
      handleEncoding: 'phys',
      handle: 0xfe000000n,
    });
    expect(decideMap({ profile: 'v7.2' }, '0x100000000', 4096, ['REQUIRE_COHERENT', 'CC_SHARED'])).toMatchObject({
      path: 'direct',
      rule: 'A3',
    });
  });

  it('rejects CC_SHARED on a device that is not forced to bounce (row A5, F12)', () => {
    expect(decideMap({ platform: 'none', profile: 'v7.2' }, '0x100000000', 4096, ['CC_SHARED'])).toMatchObject({
      path: 'error',
      rule: 'A5',
      failure: 'F12',
    });
  });

  it('maps MMIO directly with handle = phys when not forced (row A6)', () => {
    expect(decideMap({ platform: 'none', profile: 'v7.2' }, '0xfe000000', 4096, ['MMIO'])).toMatchObject({
      path: 'direct',
      rule: 'A6',
      handleEncoding: 'phys',
      isMmio: true,
    });
  });

  it('bounces a 32-bit device with a buffer above 4 GiB in a non-CoCo VM (row A7)', () => {
    expect(decideMap({ platform: 'none', profile: 'v6.12', device: { dmaMaskBits: 32 } })).toMatchObject({
      path: 'swiotlb',
      rule: 'A7',
      reason: 'not-capable',
      memoryState: 'private',
    });
  });

  it('maps directly when capable and not forced (row A8)', () => {
    expect(decideMap({ platform: 'none', profile: 'v6.12' })).toMatchObject({
      path: 'direct',
      rule: 'A8',
      handleEncoding: 'encrypted',
      memoryState: 'private',
    });
    expect(decideMap({ platform: 'none', profile: 'v6.12' })).not.toHaveProperty('failure');
  });

  it('with swiotlb=noforce maps private memory directly to a device that needs shared memory: F8 (row A8, §10.2 F8, S12)', () => {
    expect(decideMap({ platform: 'sev-snp', profile: 'v7.2', cmdline: 'swiotlb=noforce' })).toMatchObject({
      path: 'direct',
      rule: 'A8',
      memoryState: 'private',
      failure: 'F8',
    });
    expect(decideMap({ platform: 'tdx', profile: 'v6.12', cmdline: 'swiotlb=noforce' })).toMatchObject({
      path: 'direct',
      rule: 'A8',
      failure: 'F8',
    });
  });

  it('with swiotlb=noforce a 32-bit SEV device cannot reach the C-bit handle and has no pool: F5 (row A7, §14.2 item 2)', () => {
    expect(
      decideMap(
        { platform: 'sev', profile: 'v6.12', cmdline: 'swiotlb=noforce', device: { dmaMaskBits: 32 } },
        '0x1000000',
      ),
    ).toMatchObject({ path: 'error', rule: 'A7', failure: 'F5' });
  });

  it('uses dma_direct_map_page on la-classic: the forced row is A4 there too (torvalds/linux kernel/dma/direct.h)', () => {
    expect(decideMap({ platform: 'tdx', profile: 'v6.12' })).toMatchObject({ path: 'swiotlb', rule: 'A4' });
    expect(decideMap({ platform: 'tdx', profile: 'v6.6' })).toMatchObject({ path: 'swiotlb', rule: 'A4' });
  });

  it('fails with F1 ("Can not allocate SWIOTLB buffer earlier") when force is set but boot left the pool without slots (§14.2 item 8)', () => {
    const { ctx, profile } = setup({ platform: 'sev-snp', profile: 'v7.2' });
    const bootFailed = { ...ctx, env: { ...ctx.env, swiotlb: { ...ctx.env.swiotlb, defaultPoolSlots: 0 } } };
    expect(profile.decideStreamingMap(bootFailed, mapRequest('0x100000000'))).toMatchObject({
      path: 'error',
      rule: 'A4',
      failure: 'F1',
      log: expect.stringMatching(/Can not allocate SWIOTLB buffer earlier/),
    });
  });
});

describe('V5: swiotlb=force (docs/kernel-dma.md §10.1, S13)', () => {
  it('marks a bounce that happened only because of swiotlb=force', () => {
    expect(decideMap({ platform: 'none', profile: 'v7.2', cmdline: 'swiotlb=force' })).toMatchObject({
      path: 'swiotlb',
      rule: 'A4',
      forcedOnlyByCmdline: true,
      memoryState: 'private',
    });
  });

  it('does not mark it when the arch forces anyway (L-A CoCo guest)', () => {
    expect(decideMap({ platform: 'sev-snp', profile: 'v7.2', cmdline: 'swiotlb=force' })).toMatchObject({
      path: 'swiotlb',
      forcedOnlyByCmdline: false,
    });
  });

  it('marks an accepted device bounced by swiotlb=force under the dan variant (force still wins, §9.2)', () => {
    const decision = decideMap({
      platform: 'tdx',
      profile: 'v7.2',
      cmdline: 'swiotlb=force',
      overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
      device: { kind: 'tdisp-nvme', trust: 'tdisp-accepted' },
    });
    expect(decision).toMatchObject({ path: 'swiotlb', rule: 'A4', memoryState: 'shared', forcedOnlyByCmdline: true });
  });
});

describe('decideStreamingMap on L-B (lb, v7.3)', () => {
  it('bounces private buffers of a device that needs shared memory because dma_capable() applies the CC rule (row B5)', () => {
    expect(decideMap({ platform: 'sev-snp', profile: 'v7.3' })).toMatchObject({
      path: 'swiotlb',
      rule: 'B5',
      reason: 'cc-rule',
      memoryState: 'shared',
      handleEncoding: 'unencrypted',
    });
  });

  it('overwrites CC_SHARED with the pool state inside swiotlb (§14.2 item 6)', () => {
    const decision = decideMap({ platform: 'sev-snp', profile: 'lb' });
    expect(decision.path === 'swiotlb' && decision.attrs).toContain('CC_SHARED');
  });

  it('maps CC_SHARED buffers directly with the unencrypted handle (rows B3/B6)', () => {
    expect(decideMap({ platform: 'sev-snp', profile: 'lb' }, '0x100000000', 4096, ['CC_SHARED'])).toMatchObject({
      path: 'direct',
      rule: 'B6',
      handleEncoding: 'unencrypted',
      memoryState: 'shared',
      handle: 0x100000000n,
    });
  });

  it('with swiotlb=noforce fails every private streaming map: F5 (S12, §10.2 F8 "L-B: mapping error (F5)")', () => {
    expect(decideMap({ platform: 'sev-snp', profile: 'lb', cmdline: 'swiotlb=noforce' })).toMatchObject({
      path: 'error',
      rule: 'B5',
      failure: 'F5',
    });
  });

  it('fails MMIO or REQUIRE_COHERENT under swiotlb=force (row B1, F10)', () => {
    expect(
      decideMap({ platform: 'none', profile: 'lb', cmdline: 'swiotlb=force' }, '0xfe000000', 4096, ['MMIO']),
    ).toMatchObject({ path: 'error', rule: 'B1', failure: 'F10' });
    expect(
      decideMap({ platform: 'none', profile: 'lb', cmdline: 'swiotlb=force' }, '0x100000000', 4096, [
        'REQUIRE_COHERENT',
      ]),
    ).toMatchObject({ path: 'error', rule: 'B1' });
  });

  it('bounces everything under swiotlb=force (row B2)', () => {
    expect(decideMap({ platform: 'sev-snp', profile: 'lb', cmdline: 'swiotlb=force' })).toMatchObject({
      path: 'swiotlb',
      rule: 'B2',
      reason: 'forced',
    });
  });

  it('fails P2P MMIO without CC_SHARED in a CoCo guest (row B4, F11)', () => {
    expect(decideMap({ platform: 'tdx', profile: 'lb' }, '0xfe000000', 4096, ['MMIO'])).toMatchObject({
      path: 'error',
      rule: 'B4',
      failure: 'F11',
    });
    expect(decideMap({ platform: 'tdx', profile: 'lb' }, '0xfe000000', 4096, ['MMIO', 'CC_SHARED'])).toMatchObject({
      path: 'direct',
      rule: 'B4',
    });
  });

  it('treats MMIO as shared on an SME host (row B0)', () => {
    expect(decideMap({ platform: 'sme-host', profile: 'lb' }, '0xfe000000', 4096, ['MMIO'])).toMatchObject({
      path: 'direct',
      rule: 'B0',
      handleEncoding: 'unencrypted',
      handle: 0xfe000000n,
    });
  });

  it('maps directly in a non-CoCo VM (row B6)', () => {
    expect(decideMap({ platform: 'none', profile: 'lb' })).toMatchObject({
      path: 'direct',
      rule: 'B6',
      memoryState: 'private',
    });
  });
});

describe('completeSwiotlbMap: the dma_capable() re-check after the bounce copy (§5.4, §14.2 item 1)', () => {
  it('fails with F4 after the copy when the shared CCA alias is beyond a 40-bit device mask (S10)', () => {
    const { ctx, profile } = setup({
      platform: 'cca-realm',
      profile: 'v7.2',
      memoryMiB: 8192,
      device: { kind: 'virtio-net', dmaMaskBits: 40 },
    });
    const decision = profile.decideStreamingMap(ctx, mapRequest('0x80000000'));
    expect(decision).toMatchObject({ path: 'swiotlb', rule: 'A4' });
    if (decision.path !== 'swiotlb') return;
    const completion = profile.completeSwiotlbMap(ctx, decision, mapRequest('0x48000000').phys, 4096);
    expect(completion).toMatchObject({ ok: false, failure: 'F4', copiedBeforeFailure: true });
  });

  it('returns the unencrypted handle of the slot on L-A (SEV: no C-bit on the shared alias, §1.3)', () => {
    const { ctx, profile } = setup({ platform: 'sev-snp', profile: 'v7.2' });
    const decision = profile.decideStreamingMap(ctx, mapRequest('0x100000000'));
    if (decision.path !== 'swiotlb') throw new Error('expected a bounce');
    expect(profile.completeSwiotlbMap(ctx, decision, mapRequest('0x48000000').phys, 4096)).toEqual({
      ok: true,
      handle: 0x48000000n,
    });
  });
});

describe('map_sg (§3.3)', () => {
  it('decides every segment independently with the single-buffer table', () => {
    const { ctx, profile } = setup({ platform: 'none', profile: 'v6.12', device: { dmaMaskBits: 32 } });
    const low = profile.decideStreamingMap(ctx, mapRequest('0x10000000'));
    const high = profile.decideStreamingMap(ctx, mapRequest('0x100000000'));
    expect([low.path, high.path]).toEqual(['direct', 'swiotlb']);
  });
});
