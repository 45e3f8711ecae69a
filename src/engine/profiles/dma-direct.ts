import { type DmaAddr, fls64, formatHex, minNotZero, type PhysAddr, toPhysAddr } from '../spec/address';
import type { DmaAttr, DmaDirection } from '../spec/names';
import { IO_TLB_SEGSIZE, IO_TLB_SIZE, PAGE_SIZE } from '../swiotlb/constants';
import type {
  AtomicPoolZone,
  CoherentAllocDecision,
  CoherentFreeDecision,
  DecisionContext,
  LiveMapping,
  MaxMappingSize,
  StreamingMapDecision,
  SwiotlbMapCompletion,
  SyncDecision,
  UnmapDecision,
} from './profile.types';

/** Helpers shared by every profile: the parts of include/linux/dma-direct.h and kernel/dma/direct.c that did not change. */

export const hasAttr = (attrs: readonly DmaAttr[], attr: DmaAttr): boolean => attrs.includes(attr);

/**
 * dma_capable(dev, addr, size, is_ram[, attrs]) (docs/kernel-dma.md §3 helpers, §14.2 item 2): the end of
 * the range must be within min_not_zero(*dma_mask, bus_dma_limit). L-B adds the CC rule: false
 * for a private handle (no CC_SHARED) when the device needs unencrypted DMA.
 */
export function dmaCapable(
  ctx: DecisionContext,
  addr: DmaAddr,
  sizeBytes: number,
  attrs: readonly DmaAttr[] | null,
): boolean {
  if (attrs !== null && !hasAttr(attrs, 'CC_SHARED') && ctx.hooks.forceDmaUnencrypted(ctx.env, ctx.dev)) return false;
  const end = addr + BigInt(sizeBytes) - 1n;
  return end <= minNotZero(ctx.dev.dmaMask, ctx.dev.busDmaLimit);
}

export function overflowLog(addr: DmaAddr, sizeBytes: number, ctx: DecisionContext, prefix: 'DMA' | 'swiotlb'): string {
  return `${prefix} addr ${formatHex(addr)}+${sizeBytes} overflow (mask ${ctx.dev.dmaMask.toString(16)}, bus limit ${ctx.dev.busDmaLimit.toString(16)}).`;
}

/** State of SWIOTLB/atomic/restricted pool memory: decrypted on platforms with memory encryption. */
export const poolMemoryState = (ctx: DecisionContext): 'shared' | 'private' =>
  ctx.env.platform.hasMemEncryption ? 'shared' : 'private';

/**
 * swiotlb_map() after swiotlb_tbl_map_single() found slots (docs/kernel-dma.md §5.4, §14.2 item 1): the
 * handle is `phys_to_dma_unencrypted` (L-A) or follows the pool's shared flag (L-B); then
 * dma_capable() is checked again — after the bounce copy, so an F4 failure has already exposed
 * the buffer.
 */
export function completeSwiotlbMap(
  ctx: DecisionContext,
  decision: Extract<StreamingMapDecision, { path: 'swiotlb' }>,
  tlbPhys: PhysAddr,
  sizeBytes: number,
  tracksSharedState: boolean,
): SwiotlbMapCompletion {
  const handle =
    decision.handleEncoding === 'unencrypted'
      ? ctx.hooks.physToDmaUnencrypted(ctx.env, ctx.dev, tlbPhys)
      : ctx.hooks.physToDmaEncrypted(ctx.env, ctx.dev, tlbPhys);
  if (dmaCapable(ctx, handle, sizeBytes, tracksSharedState ? decision.attrs : null)) return { ok: true, handle };
  return {
    ok: false,
    failure: 'F4',
    handle,
    log: overflowLog(handle, sizeBytes, ctx, 'swiotlb'),
    copiedBeforeFailure: true,
  };
}

const toDevice = (dir: DmaDirection): boolean => dir === 'to-device' || dir === 'bidirectional';
const fromDevice = (dir: DmaDirection): boolean => dir === 'from-device' || dir === 'bidirectional';

/**
 * dma_direct_unmap_phys()/unmap_page() (docs/kernel-dma.md §3.4, §14.1 item 5): MMIO → nothing; v7.1+
 * REQUIRE_COHERENT → nothing; otherwise the for-cpu sync (copy back for FROM_DEVICE/BIDIRECTIONAL
 * unless SKIP_CPU_SYNC) and the slot release when the address lies in a pool.
 */
export function decideUnmap(ctx: DecisionContext, mapping: LiveMapping): UnmapDecision {
  if (mapping.path === 'bypass')
    return { rule: 'unmap-bypass', copyBackToOrig: false, releaseSlots: false, archSyncForCpu: false };
  if (hasAttr(mapping.attrs, 'MMIO'))
    return { rule: 'unmap-mmio', copyBackToOrig: false, releaseSlots: false, archSyncForCpu: false };
  if (ctx.env.kernel.hasCcSharedAttrs && hasAttr(mapping.attrs, 'REQUIRE_COHERENT')) {
    return { rule: 'unmap-require-coherent', copyBackToOrig: false, releaseSlots: false, archSyncForCpu: false };
  }
  const sync = !hasAttr(mapping.attrs, 'SKIP_CPU_SYNC');
  const inPool = mapping.path === 'swiotlb';
  return {
    rule: inPool ? 'unmap-swiotlb' : 'unmap-direct',
    copyBackToOrig: inPool && sync && fromDevice(mapping.dir),
    releaseSlots: inPool,
    archSyncForCpu: sync && !ctx.dev.coherent,
  };
}

/**
 * dma_direct_sync_single_for_device/cpu() (docs/kernel-dma.md §3.4): in a pool, for-device copies
 * orig → bounce for TO_DEVICE/BIDIRECTIONAL, for-cpu copies bounce → orig for
 * FROM_DEVICE/BIDIRECTIONAL; the other direction copies nothing (the BUG_ON is only for DMA_NONE,
 * §14.1 item 5).
 */
export function decideSync(ctx: DecisionContext, mapping: LiveMapping, target: 'device' | 'cpu'): SyncDecision {
  if (mapping.path === 'bypass') return { rule: 'sync-bypass', copy: 'none', archSync: false };
  const archSync = !ctx.dev.coherent && !hasAttr(mapping.attrs, 'MMIO');
  if (mapping.path !== 'swiotlb') return { rule: 'sync-direct', copy: 'none', archSync };
  if (target === 'device')
    return { rule: 'sync-swiotlb', copy: toDevice(mapping.dir) ? 'orig-to-bounce' : 'none', archSync };
  return { rule: 'sync-swiotlb', copy: fromDevice(mapping.dir) ? 'bounce-to-orig' : 'none', archSync };
}

/**
 * dma_get_required_mask() → dma_direct_get_required_mask(): the top RAM page in the device's
 * encoding (unencrypted iff force_dma_unencrypted), rounded up to 2^n - 1.
 */
export function requiredMask(ctx: DecisionContext): bigint {
  const topPage = toPhysAddr(ctx.env.platformContext.ramEnd - BigInt(PAGE_SIZE));
  const maxDma = ctx.hooks.forceDmaUnencrypted(ctx.env, ctx.dev)
    ? ctx.hooks.physToDmaUnencrypted(ctx.env, ctx.dev, topPage)
    : ctx.hooks.physToDmaEncrypted(ctx.env, ctx.dev, topPage);
  return (1n << BigInt(fls64(maxDma) - 1)) * 2n - 1n;
}

/** dma_addressing_limited(dev) (docs/kernel-dma.md §14.2 item 3; all RAM is mapped: no dma_range_map). */
export function isDmaAddressingLimited(ctx: DecisionContext): boolean {
  return minNotZero(ctx.dev.dmaMask, ctx.dev.busDmaLimit) < requiredMask(ctx);
}

/**
 * swiotlb_max_mapping_size() (kernel/dma/swiotlb.c): IO_TLB_SIZE × IO_TLB_SEGSIZE minus
 * roundup(min_align_mask, IO_TLB_SIZE) when a min-align mask is set: 256 KiB, 252 KiB for NVMe's
 * 4095 (docs/kernel-dma.md §3.4).
 */
export function swiotlbMaxMappingSize(minAlignMask: bigint): number {
  const mask = Number(minAlignMask);
  const minAlign = mask === 0 ? 0 : Math.ceil(mask / IO_TLB_SIZE) * IO_TLB_SIZE;
  return IO_TLB_SIZE * IO_TLB_SEGSIZE - minAlign;
}

/**
 * dma_direct_max_mapping_size() (docs/kernel-dma.md §3.4): the SWIOTLB cap when the pool is active and the
 * device is addressing limited or forced to bounce — L-B adds "or force_dma_unencrypted(dev)"
 * (Aneesh v5 10/20) — otherwise SIZE_MAX.
 */
export function maxMappingSize(ctx: DecisionContext, tracksSharedState: boolean): MaxMappingSize {
  const { env, dev, hooks } = ctx;
  if (!hooks.isSwiotlbActive(env, dev)) return { bytes: 'unlimited', reason: 'no-swiotlb' };
  const limited =
    isDmaAddressingLimited(ctx) ||
    hooks.isSwiotlbForceBounce(env, dev) ||
    (tracksSharedState && hooks.forceDmaUnencrypted(env, dev));
  return limited
    ? { bytes: swiotlbMaxMappingSize(dev.minAlignMask), reason: 'swiotlb' }
    : { bytes: 'unlimited', reason: 'not-limited' };
}

/**
 * dma_direct_optimal_gfp_mask() zone from min_not_zero(coherent_dma_mask, bus_dma_limit)
 * (docs/kernel-dma.md §4.3 step 2) and dma_guess_pool() order for the atomic pools (§6.3: the kernel pool is
 * never a fallback).
 */
export function coherentZone(ctx: DecisionContext): { zone: AtomicPoolZone; atomicPools: readonly AtomicPoolZone[] } {
  const limit = minNotZero(ctx.dev.coherentMask, ctx.dev.busDmaLimit);
  if (limit <= (1n << BigInt(ctx.env.platform.zoneDmaBits)) - 1n) return { zone: 'dma', atomicPools: ['dma'] };
  if (limit <= 0xffffffffn) return { zone: 'dma32', atomicPools: ['dma32', 'dma'] };
  return { zone: 'kernel', atomicPools: ['kernel', 'dma32', 'dma'] };
}

/**
 * dma_coherent_ok() (kernel/dma/direct.c): the handle of [phys, phys + size) — the unencrypted alias
 * when force_dma_unencrypted(), else phys_to_dma() (C-bit included) — must end within
 * min_not_zero(coherent_dma_mask, bus_dma_limit).
 */
export function dmaCoherentOk(ctx: DecisionContext, phys: bigint, sizeBytes: number): boolean {
  const { env, dev, hooks } = ctx;
  const at = toPhysAddr(phys);
  const addr = hooks.forceDmaUnencrypted(env, dev)
    ? hooks.physToDmaUnencrypted(env, dev, at)
    : hooks.physToDmaEncrypted(env, dev, at);
  return addr + BigInt(sizeBytes) - 1n <= minNotZero(dev.coherentMask, dev.busDmaLimit);
}

/** dma_get_cache_alignment() (arm64 cache line) and 2 * ARCH_DMA_MINALIGN (arm64: 128) in bytes. */
const cacheAlignmentBytes = 64;
const twiceDmaMinAlignBytes = 256;

/**
 * dma_kmalloc_needs_bounce() (include/linux/dma-map-ops.h, CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC —
 * arm64, the platforms with non-coherent DMA here): !dma_kmalloc_safe() — a non-coherent device and
 * a direction other than DMA_TO_DEVICE — and !dma_kmalloc_size_aligned(): the size is not a
 * multiple of the cache line and is below 2 * ARCH_DMA_MINALIGN (from there kmalloc_size_roundup()
 * is a power of two, hence cache-aligned). Such small buffers may share a cache line with other
 * data, so dma_direct_map_phys() bounces them like an unreachable address.
 */
export function dmaKmallocNeedsBounce(ctx: DecisionContext, sizeBytes: number, dir: DmaDirection): boolean {
  if (!ctx.env.platform.supportsNonCoherentDma || ctx.dev.coherent || dir === 'to-device') return false;
  return sizeBytes % cacheAlignmentBytes !== 0 && sizeBytes < twiceDmaMinAlignBytes;
}

export const pageAlign = (bytes: number): number => Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;

/**
 * dma_direct_free() (docs/kernel-dma.md §4.1 "Free", §4.2, §14.1 item 7, §14.2 item 9): atomic-pool memory
 * goes back to the gen_pool still shared; L-A re-encrypts restricted-pool pages of U devices
 * (making those slots private), L-B returns pool pages without conversion; other shared pages are
 * re-encrypted (failure: leaked).
 */
export function decideCoherentFree(
  _ctx: DecisionContext,
  alloc: CoherentAllocDecision,
  tracksSharedState: boolean,
): CoherentFreeDecision {
  if (alloc.path === 'atomic-pool')
    return {
      rule: 'free-atomic-pool',
      encryptPages: false,
      restrictedSlotsBecomePrivate: false,
      contentsRetained: true,
    };
  if (alloc.path === 'arch-alloc' || alloc.path === 'global-pool')
    return { rule: 'free-arch', encryptPages: false, restrictedSlotsBecomePrivate: false, contentsRetained: false };
  if (alloc.path === 'restricted-pool') {
    const reencrypt = !tracksSharedState && alloc.decryptPages;
    return {
      rule: 'free-restricted-pool',
      encryptPages: reencrypt,
      restrictedSlotsBecomePrivate: reencrypt,
      contentsRetained: true,
    };
  }
  return {
    rule: 'free-pages',
    encryptPages: alloc.decryptPages,
    restrictedSlotsBecomePrivate: false,
    contentsRetained: false,
  };
}
