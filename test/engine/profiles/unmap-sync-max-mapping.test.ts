import { swiotlbMaxMappingSize } from '../../../src/engine/profiles/index';
import { setup } from './decision-helpers';

describe('decideUnmap (docs/kernel-dma.md §3.4, §14.1 item 5)', () => {
  const { ctx, profile } = setup({ platform: 'sev-snp', profile: 'v7.2' });
  it('copies back FROM_DEVICE bounce buffers and releases the slots', () => {
    expect(profile.decideUnmap(ctx, { path: 'swiotlb', dir: 'from-device', attrs: [] })).toEqual({
      rule: 'unmap-swiotlb',
      copyBackToOrig: true,
      releaseSlots: true,
      archSyncForCpu: false,
    });
  });
  it('does not copy back TO_DEVICE mappings or with SKIP_CPU_SYNC, but still releases', () => {
    expect(profile.decideUnmap(ctx, { path: 'swiotlb', dir: 'to-device', attrs: [] })).toMatchObject({
      copyBackToOrig: false,
      releaseSlots: true,
    });
    expect(profile.decideUnmap(ctx, { path: 'swiotlb', dir: 'bidirectional', attrs: ['SKIP_CPU_SYNC'] })).toMatchObject(
      { copyBackToOrig: false, releaseSlots: true },
    );
  });
  it('does nothing for MMIO and, from v7.1, for REQUIRE_COHERENT', () => {
    expect(profile.decideUnmap(ctx, { path: 'direct', dir: 'to-device', attrs: ['MMIO'] })).toMatchObject({
      rule: 'unmap-mmio',
      releaseSlots: false,
    });
    expect(
      profile.decideUnmap(ctx, { path: 'direct', dir: 'from-device', attrs: ['REQUIRE_COHERENT', 'CC_SHARED'] }),
    ).toMatchObject({ rule: 'unmap-require-coherent' });
  });
});

describe('decideSync (docs/kernel-dma.md §3.4)', () => {
  const { ctx, profile } = setup({ platform: 'sev-snp', profile: 'v7.2' });
  it('for-device copies orig → bounce only for TO_DEVICE/BIDIRECTIONAL', () => {
    expect(profile.decideSync(ctx, { path: 'swiotlb', dir: 'to-device', attrs: [] }, 'device')).toMatchObject({
      copy: 'orig-to-bounce',
    });
    expect(profile.decideSync(ctx, { path: 'swiotlb', dir: 'from-device', attrs: [] }, 'device')).toMatchObject({
      copy: 'none',
    });
  });
  it('for-cpu copies bounce → orig only for FROM_DEVICE/BIDIRECTIONAL', () => {
    expect(profile.decideSync(ctx, { path: 'swiotlb', dir: 'bidirectional', attrs: [] }, 'cpu')).toMatchObject({
      copy: 'bounce-to-orig',
    });
    expect(profile.decideSync(ctx, { path: 'swiotlb', dir: 'to-device', attrs: [] }, 'cpu')).toMatchObject({
      copy: 'none',
    });
    expect(profile.decideSync(ctx, { path: 'direct', dir: 'from-device', attrs: [] }, 'cpu')).toMatchObject({
      rule: 'sync-direct',
      copy: 'none',
    });
  });
});

describe('maxMappingSize: dma_direct_max_mapping_size() (docs/kernel-dma.md §3.4)', () => {
  it('swiotlb_max_mapping_size is 256 KiB, minus roundup(min_align_mask, 2 KiB): 252 KiB for NVMe 4095', () => {
    expect(swiotlbMaxMappingSize(0n)).toBe(262144);
    expect(swiotlbMaxMappingSize(0xfffn)).toBe(258048);
    expect(swiotlbMaxMappingSize(0x7ffn)).toBe(260096);
    expect(swiotlbMaxMappingSize(0x1ffffn)).toBe(131072);
  });
  it('caps forced devices in a CoCo guest (NVMe: 252 KiB, S16)', () => {
    const { ctx, profile } = setup({ platform: 'sev-snp', profile: 'v7.2' });
    expect(profile.maxMappingSize(ctx)).toEqual({ bytes: 258048, reason: 'swiotlb' });
  });
  it('L-B caps force_dma_unencrypted devices although nothing is forced (Aneesh v5 10/20)', () => {
    const { ctx, profile } = setup({ platform: 'tdx', profile: 'lb', device: { kind: 'virtio-blk' } });
    expect(profile.maxMappingSize(ctx)).toEqual({ bytes: 262144, reason: 'swiotlb' });
  });
  it('is unlimited for an accepted device under aneesh (S7: no 256 KiB cap)', () => {
    const { ctx, profile } = setup({
      platform: 'tdx',
      profile: 'lb',
      overlays: ['device-cc-accepted'],
      device: { kind: 'tdisp-nvme', trust: 'tdisp-accepted' },
    });
    expect(profile.maxMappingSize(ctx)).toEqual({ bytes: 'unlimited', reason: 'no-swiotlb' });
  });
  it('non-CoCo: capped only when addressing limited (32-bit device, RAM above 4 GiB)', () => {
    expect(
      setup({ platform: 'none', profile: 'v7.2' }).profile.maxMappingSize(
        setup({ platform: 'none', profile: 'v7.2' }).ctx,
      ),
    ).toEqual({ bytes: 'unlimited', reason: 'not-limited' });
    const limited = setup({ platform: 'none', profile: 'v7.2', device: { dmaMaskBits: 32 } });
    expect(limited.profile.maxMappingSize(limited.ctx)).toMatchObject({ reason: 'swiotlb' });
  });
  it('non-CoCo below 4 GiB has no pool at all: unlimited', () => {
    const { ctx, profile } = setup({ platform: 'none', profile: 'v7.2', memoryMiB: 2048, device: { dmaMaskBits: 32 } });
    expect(profile.maxMappingSize(ctx)).toEqual({ bytes: 'unlimited', reason: 'no-swiotlb' });
  });
});
