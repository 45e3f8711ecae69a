import { setup } from './decision-helpers';
import type { CoherentAllocRequest } from '../../../src/engine/profiles/profile.types';

// dma_direct_alloc decision table, docs/kernel-dma.md §4.1 (L-A), §4.2 (L-B), §4.3, §14.2 items 5 and 9.
const blocking: CoherentAllocRequest = { sizeBytes: 5000, gfp: 'blocking', attrs: [] };
const atomic: CoherentAllocRequest = { sizeBytes: 4096, gfp: 'atomic', attrs: [] };

describe('decideCoherentAlloc', () => {
  it('blocking, U: buddy/CMA pages + set_memory_decrypted (C6 → C9), shared, unencrypted handle, page-aligned (§4.1, V3)', () => {
    const { ctx, profile } = setup({ platform: 'sev-snp', profile: 'v7.2' });
    expect(profile.decideCoherentAlloc(ctx, blocking)).toMatchObject({
      path: 'pages',
      rule: 'C9',
      rules: ['C6', 'C9', 'C10'],
      memoryState: 'shared',
      decryptPages: true,
      handleEncoding: 'unencrypted',
      allocBytes: 8192,
    });
  });

  it('atomic, U: served from the pre-decrypted atomic pool (C5, V4), DMA32 first for a 32-bit coherent mask (§4.3, §6.3)', () => {
    const { ctx, profile } = setup({ platform: 'tdx', profile: 'v6.12' });
    expect(profile.decideCoherentAlloc(ctx, atomic)).toMatchObject({
      path: 'atomic-pool',
      rule: 'C5',
      memoryState: 'shared',
      decryptPages: false,
      zone: 'dma32',
      atomicPools: ['dma32', 'dma'],
    });
  });

  it('uses the kernel pool first for a 64-bit coherent mask (dma_guess_pool)', () => {
    const { ctx, profile } = setup({ platform: 'tdx', profile: 'v6.12', device: { kind: 'vmbus-storvsc' } });
    expect(() => profile).not.toThrow();
    expect(profile.decideCoherentAlloc(ctx, atomic)).toMatchObject({ atomicPools: ['kernel', 'dma32', 'dma'] });
  });

  it('fails atomic allocations with F7 when CONFIG_DMA_COHERENT_POOL is off', () => {
    const { ctx, profile } = setup({ platform: 'tdx', profile: 'v7.2', config: { dmaCoherentPool: false } });
    expect(profile.decideCoherentAlloc(ctx, atomic)).toMatchObject({ path: 'error', rule: 'C5', failure: 'F7' });
    // Row C5 is passed once: the refusal lists each row it went through, not C5 twice.
    expect(profile.decideCoherentAlloc(ctx, atomic).rules).toEqual(['C5']);
  });

  it('non-CoCo: private pages, encrypted handle, no conversion (C9)', () => {
    const { ctx, profile } = setup({ platform: 'none', profile: 'v7.2' });
    expect(profile.decideCoherentAlloc(ctx, atomic)).toMatchObject({
      path: 'pages',
      rule: 'C9',
      memoryState: 'private',
      decryptPages: false,
    });
  });

  it('NO_KERNEL_MAPPING without U: pages only (C1)', () => {
    const { ctx, profile } = setup({ platform: 'none', profile: 'v7.2' });
    expect(profile.decideCoherentAlloc(ctx, { ...blocking, attrs: ['NO_KERNEL_MAPPING'] })).toMatchObject({
      rule: 'C1',
      memoryState: 'private',
    });
  });

  it('L-A non-coherent arm64 device, blocking: remap; only the vmap alias is marked decrypted (C8, fixed in L-B)', () => {
    const { ctx, profile } = setup({
      platform: 'cca-realm',
      profile: 'v7.2',
      memoryMiB: 8192,
      device: { kind: 'platform', coherent: false },
    });
    const decision = profile.decideCoherentAlloc(ctx, blocking);
    expect(decision).toMatchObject({ rule: 'C8', remap: true, decryptPages: false, memoryState: 'private' });
    expect(decision.note).toMatch(/f253a83ff94c/);
  });

  it('L-B non-coherent arm64 device, blocking: the linear map is decrypted before the remap (C8 fixed, §4.2)', () => {
    const { ctx, profile } = setup({
      platform: 'cca-realm',
      profile: 'lb',
      memoryMiB: 8192,
      device: { kind: 'platform', coherent: false },
    });
    expect(profile.decideCoherentAlloc(ctx, blocking)).toMatchObject({
      rule: 'C8',
      remap: true,
      decryptPages: true,
      memoryState: 'shared',
    });
  });

  it('L-B non-coherent device, GFP_ATOMIC: served from a shared atomic pool (S17, V4)', () => {
    const { ctx, profile } = setup({
      platform: 'cca-realm',
      profile: 'lb',
      memoryMiB: 8192,
      device: { kind: 'platform', coherent: false },
    });
    expect(profile.decideCoherentAlloc(ctx, atomic)).toMatchObject({
      path: 'atomic-pool',
      rule: 'C5',
      memoryState: 'shared',
      remap: true,
    });
  });

  it('L-B accepted non-coherent device under alexey, GFP_ATOMIC: no pool of the right state, "Failed to get suitable pool" (F7, §6.4, §9.4)', () => {
    const { ctx, profile } = setup({
      platform: 'cca-realm',
      profile: 'lb',
      memoryMiB: 8192,
      overlays: [{ name: 'device-cc-accepted', variant: 'alexey' }],
      device: { kind: 'platform', coherent: false, trust: 'tdisp-accepted' },
    });
    expect(profile.decideCoherentAlloc(ctx, atomic)).toMatchObject({ path: 'error', rule: 'C5', failure: 'F7' });
  });

  it('accepted device under aneesh: no decrypt, no atomic pool (§9.3) — private pages even for GFP_ATOMIC', () => {
    const { ctx, profile } = setup({
      platform: 'tdx',
      profile: 'lb',
      overlays: ['device-cc-accepted'],
      device: { kind: 'tdisp-nvme', trust: 'tdisp-accepted' },
    });
    expect(profile.decideCoherentAlloc(ctx, atomic)).toMatchObject({
      path: 'pages',
      rule: 'C9',
      memoryState: 'private',
      decryptPages: false,
      handleEncoding: 'encrypted',
    });
  });

  it('restricted pool + U on L-A: pool pages decrypted again and re-encrypted on free, turning the slots private (§14.2 item 9)', () => {
    const { ctx, profile } = setup({
      platform: 'cca-realm',
      profile: 'v7.2',
      memoryMiB: 8192,
      device: { kind: 'platform', restrictedPoolMiB: 4 },
    });
    const alloc = profile.decideCoherentAlloc(ctx, atomic);
    expect(alloc).toMatchObject({ path: 'restricted-pool', decryptPages: true, memoryState: 'shared' });
    expect(profile.decideCoherentFree(ctx, alloc)).toMatchObject({
      rule: 'free-restricted-pool',
      encryptPages: true,
      restrictedSlotsBecomePrivate: true,
    });
  });

  it('restricted pool on L-B: matching shared pool, pages not re-converted (§4.2)', () => {
    const { ctx, profile } = setup({
      platform: 'cca-realm',
      profile: 'lb',
      memoryMiB: 8192,
      device: { kind: 'platform', restrictedPoolMiB: 4 },
    });
    const alloc = profile.decideCoherentAlloc(ctx, atomic);
    expect(alloc).toMatchObject({ path: 'restricted-pool', decryptPages: false, memoryState: 'shared' });
    expect(profile.decideCoherentFree(ctx, alloc)).toMatchObject({
      encryptPages: false,
      restrictedSlotsBecomePrivate: false,
    });
  });

  it('v6.6 frees (does not leak) pages whose decryption failed; v6.9+ leaks them (b9fa16949d18, §1.4)', () => {
    const v66 = setup({ platform: 'sev-snp', profile: 'v6.6' });
    const v612 = setup({ platform: 'sev-snp', profile: 'v6.12' });
    expect(v66.profile.decideCoherentAlloc(v66.ctx, blocking).leakOnConversionFailure).toBe(false);
    expect(v612.profile.decideCoherentAlloc(v612.ctx, blocking).leakOnConversionFailure).toBe(true);
  });
});

describe('decideCoherentFree', () => {
  it('returns atomic-pool memory still shared and unscrubbed (V4, §4.1 free)', () => {
    const { ctx, profile } = setup({ platform: 'tdx', profile: 'v7.2' });
    expect(profile.decideCoherentFree(ctx, profile.decideCoherentAlloc(ctx, atomic))).toEqual({
      rule: 'free-atomic-pool',
      encryptPages: false,
      restrictedSlotsBecomePrivate: false,
      contentsRetained: true,
    });
  });

  it('re-encrypts decrypted pages (failure: leaked, F9)', () => {
    const { ctx, profile } = setup({ platform: 'tdx', profile: 'v7.2' });
    expect(profile.decideCoherentFree(ctx, profile.decideCoherentAlloc(ctx, blocking))).toMatchObject({
      rule: 'free-pages',
      encryptPages: true,
    });
  });
});
