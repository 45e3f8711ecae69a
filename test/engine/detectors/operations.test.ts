import { runScenario, type EngineReport } from '../../../src/engine/index';
import {
  atomicPoolSize,
  chunkBytesFor,
  createAtomicPool,
  addChunk,
  poolAlloc,
  poolFree,
} from '../../../src/engine/pools/atomic-pool';
import { KernelLog } from '../../../src/engine/run/kernel-log';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';

function runText(text: string): EngineReport {
  const parsed = parseSpecText(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return runScenario(parsed.spec);
}

const GiB = 2 ** 30;
const KiB = 1024;

describe('atomic pools (kernel/dma/pool.c, docs/kernel-dma.md §6.2)', () => {
  // dma_atomic_pool_init(): totalram_pages() / (SZ_1G / SZ_128K) pages, ≤ MAX_ORDER_NR_PAGES, ≥ SZ_128K.
  it.each([
    [512 * 2 ** 20, 128 * KiB],
    [1 * GiB, 128 * KiB],
    [8 * GiB, 1024 * KiB],
    [16 * GiB, 2048 * KiB],
    [32 * GiB, 4096 * KiB],
    [256 * GiB, 4096 * KiB],
  ])('sizes %d bytes of RAM at %d bytes per pool', (ram, expected) => {
    expect(atomicPoolSize(ram, null)).toBe(expected);
  });

  it('coherent_pool= wins; a slightly-under-16-GiB guest gets a 2 MiB first chunk (get_order)', () => {
    expect(atomicPoolSize(16 * GiB, 8 * 2 ** 20)).toBe(8 * 2 ** 20);
    const size = atomicPoolSize(16 * GiB - 64 * 2 ** 20, null);
    expect(size).toBeLessThan(2 * 2 ** 20);
    expect(chunkBytesFor(size)).toBe(2 * 2 ** 20);
    expect(chunkBytesFor(64 * 2 ** 20)).toBe(4 * 2 ** 20); // capped at MAX_PAGE_ORDER
  });

  it('allocates first-fit, order-aligned, and frees back (gen_pool_first_fit_order_align)', () => {
    const pool = createAtomicPool('kernel');
    addChunk(pool, 0x100000, 64 * KiB, true);
    expect(poolAlloc(pool, 4096)).toBe(0x100000);
    expect(poolAlloc(pool, 8192)).toBe(0x100000 + 8192); // 2 pages: aligned to 2 pages
    expect(poolAlloc(pool, 4096)).toBe(0x100000 + 4096);
    expect(poolAlloc(pool, 64 * KiB)).toBe(-1);
    expect(poolFree(pool, 0x100000 + 8192)).toBe(true);
    expect(poolFree(pool, 0x100000 + 8192)).toBe(false);
    expect(pool.usedBytesMax).toBe(16 * KiB);
  });
});

describe('kernel log rate limiting (deterministic, by op count)', () => {
  it('once per call site for WARN_ONCE; 10 per interval then "callbacks suppressed" for ratelimited', () => {
    const log = new KernelLog();
    for (let op = 0; op < 30; op++) log.log('site-once', 'once', op, 'warn once');
    for (let op = 0; op < 30; op++) log.log('swiotlb_tbl_map_single', 'ratelimited', op, () => `full ${op}`);
    log.log('swiotlb_tbl_map_single', 'ratelimited', 6000, 'after the interval');

    expect(log.lines.filter((l) => l.text === 'warn once')).toHaveLength(1);
    expect(log.lines.filter((l) => l.text.startsWith('full '))).toHaveLength(10);
    expect(log.lines.slice(-2).map((l) => l.text)).toEqual([
      'swiotlb_tbl_map_single: 20 callbacks suppressed',
      'after the interval',
    ]);
  });
});

const coherentSpec = (profile: string, extra: string, ops: string): string => `apiVersion: dmasim/v1
name: ops
vm: { platform: sev-snp, memoryMiB: 1024, vcpus: 2 }
kernel: { profile: ${profile} }
devices:
  - { id: d0, kind: nvme, trust: untrusted }
${extra}
workload:
  explicit:
${ops}
`;

describe('coherent allocations, conversions and the atomic pool in runs', () => {
  it('F9: an injected set_memory_decrypted() failure leaks the pages and returns NULL (v6.9+)', () => {
    const ops = [
      '    - { op: alloc_coherent, id: r0, device: d0, size: 16384, gfp: blocking }',
      '    - { op: cpu_write, id: r0, offset: 0, bytes: 4096, data: secret }',
    ].join('\n');
    const report = runText(coherentSpec('v6.12', 'faults: { decryptFailRate: 1 }', ops));

    expect(report.failures.map((f) => f.class)).toEqual(['F9']);
    expect(report.failures[0]?.explanation).toContain('set_memory_decrypted()');
    expect(report.metrics['conversions.leakedPages']).toBe(4);
    expect(report.metrics.failedCoherentAllocs).toBe(1);
    expect(report.violations).toEqual([]); // nothing was allocated, nothing stored
  });

  it('F9 on free: set_memory_encrypted() fails → "leaking DMA memory that can\'t be re-encrypted", pages leaked', () => {
    const ops = [
      '    - { op: alloc_coherent, id: r0, device: d0, size: 8192, gfp: blocking }',
      '    - { op: free_coherent, id: r0 }',
    ].join('\n');
    const report = runText(coherentSpec('v6.12', 'faults: { encryptFailRate: 1 }', ops));

    expect(report.failures).toMatchObject([
      { class: 'F9', kernelLogLine: "leaking DMA memory that can't be re-encrypted" },
    ]);
    expect(report.metrics['conversions.encryptPages']).toBe(2);
    expect(report.metrics['conversions.leakedPages']).toBe(2);
  });

  it('F7: atomic allocations beyond the 128 KiB pool fail until deferred growth doubles it; v6.12 says "Failed to get suitable pool", v7.3 "DMA pool exhausted"', () => {
    // A 32-bit coherent mask (PCI default) tries dma32 then dma (dma_guess_pool): 2 × 32 pages, then 6 failures.
    const allocs = Array.from(
      { length: 74 },
      (_, i) => `    - { op: alloc_coherent, id: a${i}, device: d0, size: 4096, gfp: atomic }`,
    );
    const ops = [...allocs.slice(0, 70), '    - { op: run_deferred }', ...allocs.slice(70)].join('\n');
    const old = runText(coherentSpec('v6.12', '', ops));
    const lb = runText(coherentSpec('v7.3', '', ops));

    expect(old.metrics['atomicPools.kernel.initialBytes']).toBeUndefined(); // 1 GiB: no ZONE_NORMAL above 4 GiB
    expect(old.metrics['atomicPools.dma32.initialBytes']).toBe(128 * KiB);
    expect(old.failures).toMatchObject([
      { class: 'F7', count: 6, kernelLogLine: 'Failed to get suitable pool for d0' },
    ]);
    expect(old.metrics['atomicPools.dma32.growthEvents']).toBe(1);
    expect(old.metrics['atomicPools.dma32.sizeBytes']).toBe(256 * KiB);
    expect(old.metrics['atomicPools.dma32.usedBytesMax']).toBe(128 * KiB + 4 * 4096);
    expect(old.metrics['conversions.decryptPages']).toBe(64); // each 128 KiB growth chunk is decrypted
    expect(lb.failures[0]?.kernelLogLine).toBe('DMA pool exhausted for d0');
  });

  it('V4 on data stored in an atomic-pool buffer; V3 on a decrypted blocking buffer', () => {
    const ops = [
      '    - { op: alloc_coherent, id: a, device: d0, size: 4096, gfp: atomic }',
      '    - { op: cpu_write, id: a, offset: 0, bytes: 4096, data: secret }',
      '    - { op: alloc_coherent, id: b, device: d0, size: 4096, gfp: blocking }',
      '    - { op: cpu_write, id: b, offset: 0, bytes: 100, data: sensitive }',
    ].join('\n');
    const report = runText(coherentSpec('v7.2', '', ops));

    expect(report.violations.map((v) => `${v.class}:${v.rule}:${v.severity}:${v.bytesExposed}`)).toEqual([
      'V3:C9:high:100',
      'V4:C5:critical:4096',
    ]);
  });
});

describe('devices', () => {
  it('F14: a virtio device without ACCESS_PLATFORM in a CoCo guest is refused at probe', () => {
    const report = runText(`apiVersion: dmasim/v1
name: f14
vm: { platform: tdx, memoryMiB: 2048, vcpus: 2 }
kernel: { profile: v6.12 }
devices:
  - { id: vblk, kind: virtio-blk, accessPlatform: false }
workload:
  explicit:
    - { op: map, id: m, device: vblk, buffer: { size: 4096, phys: "0x10000000", data: secret }, dir: to-device, cpu: 0 }
    - { op: unmap, id: m }
`);

    expect(report.failures.map((f) => f.class)).toEqual(['F14']);
    expect(report.kernelLog.some((l) => l.text === 'virtio vblk: device must provide VIRTIO_F_ACCESS_PLATFORM')).toBe(
      true,
    );
    expect(report.violations).toEqual([]);
  });

  it('accept_device returns -EBUSY while the device has live mappings; accepted afterwards, it maps privately', () => {
    const report = runText(`apiVersion: dmasim/v1
name: accept
vm: { platform: tdx, memoryMiB: 8192, vcpus: 2 }
kernel: { profile: v7.3, overlays: [device-cc-accepted] }
devices:
  - { id: nvme0, kind: tdisp-nvme, trust: untrusted }
workload:
  explicit:
    - { op: map, id: m1, device: nvme0, buffer: { size: 4096, phys: "0x100000000", data: secret }, dir: to-device, cpu: 0 }
    - { op: accept_device, device: nvme0 }
    - { op: unmap, id: m1 }
    - { op: accept_device, device: nvme0 }
    - { op: map, id: m2, device: nvme0, buffer: { size: 4096, phys: "0x100001000", data: secret }, dir: to-device, cpu: 0 }
    - { op: unmap, id: m2 }
`);

    expect(report.metrics['devices.nvme0.acceptBusy']).toBe(1);
    expect(report.kernelLog.some((l) => l.op === 1 && l.text.includes('-EBUSY'))).toBe(true);
    expect(report.metrics['devices.nvme0.bounces']).toBe(1);
    expect(report.metrics['devices.nvme0.directMaps']).toBe(1);
    expect(report.violations.map((v) => `${v.class}@${v.firstOp}`)).toEqual(['V0@0', 'V6@2']); // only the mapping made before acceptance
  });

  it('V7: a sub-range sync_for_device leaves the rest of the bounce buffer as copied at map time', () => {
    const report = runText(`apiVersion: dmasim/v1
name: v7
vm: { platform: sev-snp, memoryMiB: 2048, vcpus: 2 }
kernel: { profile: v7.2 }
devices:
  - { id: d0, kind: nvme }
workload:
  explicit:
    - { op: map, id: m, device: d0, buffer: { size: 16384, phys: "0x10000000", data: sensitive }, dir: bidirectional, cpu: 0 }
    - { op: sync_for_device, id: m, offset: 0, length: 4096 }
    - { op: unmap, id: m }
`);

    expect(report.violations.find((v) => v.class === 'V7')).toMatchObject({
      severity: 'info',
      bytesExposed: 12288,
      firstOp: 1,
    });
  });

  it('restricted pools: coherent allocations of a restricted-pool device come from its (decrypted) pool → V3 via swiotlb_alloc', () => {
    const report = runText(`apiVersion: dmasim/v1
name: rmem
vm: { platform: cca-realm, memoryMiB: 2048, vcpus: 2 }
kernel: { profile: v6.12 }
devices:
  - { id: p0, kind: platform, restrictedPoolMiB: 4 }
workload:
  explicit:
    - { op: alloc_coherent, id: r, device: p0, size: 8192, gfp: atomic }
    - { op: cpu_write, id: r, offset: 0, bytes: 8192, data: secret }
    - { op: map, id: m, device: p0, buffer: { size: 4096, phys: "0x50000000", data: secret }, dir: to-device, cpu: 0 }
`);

    expect(report.metrics['devices.p0.restrictedPool.nslabs']).toBe(2048);
    expect(report.violations.map((v) => `${v.class}:${v.path}`)).toEqual([
      'V0:dma_direct_map_phys → swiotlb_map → swiotlb_tbl_map_single (restricted pool, forced)',
      'V3:dma_direct_alloc → swiotlb_alloc (restricted pool, decrypted)',
    ]);
  });
});
