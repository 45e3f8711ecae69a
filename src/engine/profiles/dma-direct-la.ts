import { invariant } from '../invariant';
import { toDmaAddr } from '../spec/address';
import {
  coherentZone,
  dmaCapable,
  dmaCoherentOk,
  dmaKmallocNeedsBounce,
  hasAttr,
  overflowLog,
  pageAlign,
  poolMemoryState,
} from './dma-direct';
import type {
  CoherentAllocDecision,
  CoherentAllocRequest,
  CoherentRule,
  DecisionContext,
  StreamingMapDecision,
  StreamingMapRequest,
} from './profile.types';
import { decideSwiotlbMap, markCmdlineForce } from './swiotlb-map';

/**
 * dma-direct as in v6.6 … v7.2 ("L-A", docs/kernel-dma.md §3.1 and §4.1 with the §14 corrections). The
 * release switches of the resolved kernel select the variant: dma_direct_map_page() before v6.18;
 * dma_direct_map_phys() with DMA_ATTR_MMIO from v6.18; REQUIRE_COHERENT and CC_SHARED from v7.1.
 */

function decideStreamingMapOnce(ctx: DecisionContext, req: StreamingMapRequest): StreamingMapDecision {
  const { env, dev, hooks } = ctx;
  const { kernel } = env;
  invariant(
    kernel.hasMmioAttr || !hasAttr(req.attrs, 'MMIO'),
    `DMA_ATTR_MMIO does not exist in ${kernel.releaseLabel}`,
  );
  invariant(
    kernel.hasCcSharedAttrs || (!hasAttr(req.attrs, 'CC_SHARED') && !hasAttr(req.attrs, 'REQUIRE_COHERENT')),
    `DMA_ATTR_CC_SHARED/REQUIRE_COHERENT do not exist in ${kernel.releaseLabel}`,
  );
  const isMmio = hasAttr(req.attrs, 'MMIO');
  const isCcShared = hasAttr(req.attrs, 'CC_SHARED');
  const requiresCoherent = hasAttr(req.attrs, 'REQUIRE_COHERENT');
  const syncForDevice = !dev.coherent && !hasAttr(req.attrs, 'SKIP_CPU_SYNC') && !isMmio;

  if (hooks.isSwiotlbForceBounce(env, dev)) {
    // §14.1 item 1: under force, CC_SHARED is tested first; MMIO/REQUIRE_COHERENT fail only without it.
    if (!isCcShared) {
      if (isMmio)
        return {
          path: 'error',
          rule: 'A1',
          failure: 'F10',
          log: kernel.hasMmioForceFix
            ? null
            : 'WARN: swiotlb_map() of an MMIO address (v6.18/v6.19 print a garbage address before failing)',
        };
      if (requiresCoherent) return { path: 'error', rule: 'A2', failure: 'F10', log: null };
      return decideSwiotlbMap(ctx, req, 'A4', 'forced', false);
    }
  } else if (isCcShared) {
    // Row A5: "defensive" error for CC_SHARED on a device that is not forced to bounce (F12).
    return { path: 'error', rule: 'A5', failure: 'F12', log: null };
  }

  if (isMmio) {
    // Row A6 (A3 with CC_SHARED under force, §14.1 item 1): handle = phys, dma_capable(is_ram = false).
    const handle = toDmaAddr(req.phys);
    const rule = isCcShared ? 'A3' : 'A6';
    if (!dmaCapable(ctx, handle, req.sizeBytes, null))
      return { path: 'error', rule, failure: 'F5', log: overflowLog(handle, req.sizeBytes, ctx, 'DMA') };
    return {
      path: 'direct',
      rule,
      handle,
      handleEncoding: 'phys',
      memoryState: isCcShared ? 'shared' : 'private',
      isMmio: true,
      syncForDevice: false,
    };
  }
  if (isCcShared) {
    // Row A3: the caller's page is already shared; unencrypted handle, dma_capable(is_ram = false).
    const handle = hooks.physToDmaUnencrypted(env, dev, req.phys);
    if (!dmaCapable(ctx, handle, req.sizeBytes, null))
      return { path: 'error', rule: 'A3', failure: 'F5', log: overflowLog(handle, req.sizeBytes, ctx, 'DMA') };
    return {
      path: 'direct',
      rule: 'A3',
      handle,
      handleEncoding: 'unencrypted',
      memoryState: 'shared',
      isMmio: false,
      syncForDevice,
    };
  }
  // Row A7: the encrypted (phys_to_dma) handle must be reachable, else bounce if a pool is active.
  const handle = hooks.physToDmaEncrypted(env, dev, req.phys);
  if (!dmaCapable(ctx, handle, req.sizeBytes, null) || dmaKmallocNeedsBounce(ctx, req.sizeBytes, req.dir)) {
    if (hooks.isSwiotlbActive(env, dev) && !requiresCoherent)
      return decideSwiotlbMap(ctx, req, 'A7', 'not-capable', false);
    return { path: 'error', rule: 'A7', failure: 'F5', log: overflowLog(handle, req.sizeBytes, ctx, 'DMA') };
  }
  // Row A8: direct. A device that needs shared memory but gets a private page reads ciphertext
  // (F8, swiotlb=noforce) unless its consumer is inside the TCB (docs/kernel-dma.md §9.2 last bullet).
  const needsShared = hooks.forceDmaUnencrypted(env, dev) && !hooks.mayAccessPrivate(env, dev);
  return {
    path: 'direct',
    rule: 'A8',
    handle,
    handleEncoding: 'encrypted',
    memoryState: 'private',
    isMmio: false,
    syncForDevice,
    ...(needsShared ? { failure: 'F8' as const } : {}),
  };
}

/** dma_direct_map_page() (≤ v6.17) / dma_direct_map_phys() (v6.18 … v7.2): rows A1–A8. */
export function decideStreamingMapLa(ctx: DecisionContext, req: StreamingMapRequest): StreamingMapDecision {
  return markCmdlineForce(ctx, req, decideStreamingMapOnce(ctx, req), decideStreamingMapOnce);
}

/** What the arch offers for non-coherent devices (only arm64 has them: DMA_DIRECT_REMAP, no arch alloc or global pool). */
function nonCoherentSupport(ctx: DecisionContext): {
  archDmaAlloc: boolean;
  globalPool: boolean;
  directRemap: boolean;
  setUncached: boolean;
} {
  return ctx.env.platform.arch === 'arm64'
    ? { archDmaAlloc: false, globalPool: false, directRemap: true, setUncached: false }
    : { archDmaAlloc: false, globalPool: false, directRemap: false, setUncached: false };
}

export interface CoherentAllocOptions {
  readonly leaksPagesOnDecryptFailure: boolean;
  readonly tracksSharedState: boolean;
}

/**
 * dma_direct_alloc() for both L-A (§4.1) and L-B (§4.2): rows C1–C10. L-B differences: the
 * request is "shared" iff force_dma_unencrypted; C1 only for non-shared; atomic and restricted
 * pools must match the shared state; the linear map is decrypted before remapping (fixes C8).
 */
export function decideCoherentAllocDirect(
  ctx: DecisionContext,
  req: CoherentAllocRequest,
  options: CoherentAllocOptions,
): CoherentAllocDecision {
  const { env, dev, hooks } = ctx;
  const isShared = hooks.forceDmaUnencrypted(env, dev);
  const isForAlloc = hooks.isSwiotlbForAlloc(env, dev);
  const usePool = hooks.dmaDirectUsePool(env, dev, req.gfp);
  const { zone, atomicPools } = coherentZone(ctx);
  const allocBytes = pageAlign(req.sizeBytes);
  const rules: CoherentRule[] = [];
  const handleEncoding = isShared ? ('unencrypted' as const) : ('encrypted' as const);
  const base: {
    allocBytes: number;
    zone: typeof zone;
    atomicPools: typeof atomicPools;
    handleEncoding: typeof handleEncoding;
    leakOnConversionFailure: boolean;
    requestShared: boolean;
    sleepsInAtomic?: true;
  } = {
    allocBytes,
    zone,
    atomicPools,
    handleEncoding,
    leakOnConversionFailure: options.leaksPagesOnDecryptFailure,
    requestShared: isShared,
  };
  const fail = (rule: CoherentRule, failure: CoherentAllocDecision['failure'], log: string): CoherentAllocDecision => ({
    ...base,
    path: 'error',
    rule,
    rules: [...rules, rule],
    failure,
    log,
    memoryState: null,
    decryptPages: false,
    remap: false,
  });

  // dma_coherent_ok() after __dma_direct_alloc_pages()'s GFP_DMA32/GFP_DMA retries: the lowest page
  // decides — an alias or C-bit above the coherent mask fails whatever page the allocator returns.
  const reachable = dmaCoherentOk(ctx, 0n, allocBytes);
  const unreachable = (rule: CoherentRule): CoherentAllocDecision => fail(rule, 'F5', '');
  if (req.attrs.includes('NO_KERNEL_MAPPING') && !isShared && !isForAlloc) {
    if (!reachable) return unreachable('C1');
    return {
      ...base,
      path: 'pages',
      rule: 'C1',
      rules: ['C1'],
      memoryState: 'private',
      decryptPages: false,
      remap: false,
    };
  }
  let remap = false;
  if (!dev.coherent) {
    const arch = nonCoherentSupport(ctx);
    if (arch.archDmaAlloc && !isForAlloc)
      return {
        ...base,
        path: 'arch-alloc',
        rule: 'C2',
        rules: ['C2'],
        memoryState: 'private',
        decryptPages: false,
        remap: false,
      };
    if (arch.globalPool)
      return {
        ...base,
        path: 'global-pool',
        rule: 'C3',
        rules: ['C3'],
        memoryState: 'private',
        decryptPages: false,
        remap: false,
      };
    if (!arch.setUncached && !arch.directRemap)
      return fail('C4', 'F13', 'coherent DMA allocations not supported on this platform.');
    remap = arch.directRemap;
  }
  if ((remap || isShared) && usePool) {
    rules.push('C5');
    // CONFIG_DMA_COHERENT_POOL=n: dma_direct_alloc_from_pool() WARN_ON_ONCE()s and returns NULL.
    if (!env.config.dmaCoherentPool) return fail('C5', 'F7', `Failed to get suitable pool for ${dev.id}`);
    const poolShared = env.platform.hasMemEncryption;
    // L-B §6.4: pools carry cc_shared = CC_ATTR_MEM_ENCRYPT; a request of the other state finds no pool.
    if (options.tracksSharedState && poolShared !== isShared)
      return fail('C5', 'F7', `Failed to get suitable pool for ${dev.id}`);
    return {
      ...base,
      path: 'atomic-pool',
      rule: 'C5',
      rules,
      memoryState: poolMemoryState(ctx),
      decryptPages: false,
      remap,
      ...(reachable ? {} : { unreachable: true as const }),
    };
  }
  rules.push('C6');
  if (!reachable) return unreachable(isForAlloc ? 'C6' : 'C9');
  if (isForAlloc) {
    // L-A: __dma_direct_alloc_pages() takes restricted-pool pages and dma_set_decrypted() converts them
    // again (§14.2 item 9); L-B: the pool must match the shared state and its pages are not re-converted.
    const poolState = poolMemoryState(ctx);
    if (options.tracksSharedState) {
      if (env.platform.hasMemEncryption !== isShared)
        return fail('C6', 'F6', `restricted pool of ${dev.id} does not match the requested encryption state`);
      return {
        ...base,
        path: 'restricted-pool',
        rule: 'C6',
        rules: [...rules, remap ? 'C8' : 'C9', 'C10'],
        memoryState: poolState,
        decryptPages: false,
        remap,
      };
    }
    return {
      ...base,
      path: 'restricted-pool',
      rule: 'C9',
      rules: [...rules, remap ? 'C8' : 'C9', 'C10'],
      memoryState: isShared ? 'shared' : poolState,
      decryptPages: isShared && !remap,
      remap,
    };
  }
  const convert = isShared && env.platform.hasMemEncryption;
  if (remap) {
    rules.push('C8', 'C10');
    // Mainline sends GFP_ATOMIC + remap to the atomic pool (C5); only a hunk that turns dma_direct_use_pool() off gets here.
    if (req.gfp === 'atomic') base.sleepsInAtomic = true;
    if (options.tracksSharedState)
      return {
        ...base,
        path: 'pages',
        rule: 'C8',
        rules,
        memoryState: convert ? 'shared' : 'private',
        decryptPages: convert,
        remap,
      };
    return {
      ...base,
      path: 'pages',
      rule: 'C8',
      rules,
      memoryState: 'private',
      decryptPages: false,
      remap,
      ...(isShared
        ? {
            note: 'L-A C8: only the vmap alias is mapped pgprot_decrypted; the linear map and the page state are not converted (fixed by L-B f253a83ff94c)',
          }
        : {}),
    };
  }
  rules.push('C9', 'C10');
  return {
    ...base,
    path: 'pages',
    rule: 'C9',
    rules,
    memoryState: convert ? 'shared' : 'private',
    decryptPages: convert,
    remap,
  };
}
