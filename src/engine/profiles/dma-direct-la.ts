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

type CoherentBase = Pick<
  CoherentAllocDecision,
  'allocBytes' | 'zone' | 'atomicPools' | 'handleEncoding' | 'leakOnConversionFailure' | 'requestShared'
> & { sleepsInAtomic?: true };

/** What every dma_direct_alloc() decision states whatever its path. */
function coherentBase(
  ctx: DecisionContext,
  req: CoherentAllocRequest,
  options: CoherentAllocOptions,
  isShared: boolean,
) {
  const { zone, atomicPools } = coherentZone(ctx);
  const base: CoherentBase = {
    allocBytes: pageAlign(req.sizeBytes),
    zone,
    atomicPools,
    handleEncoding: isShared ? 'unencrypted' : 'encrypted',
    leakOnConversionFailure: options.leaksPagesOnDecryptFailure,
    requestShared: isShared,
  };
  return base;
}

/** A successful allocation from `path`; key order is part of the report, so it is fixed here. */
function granted(
  base: CoherentBase,
  path: CoherentAllocDecision['path'],
  rule: CoherentRule,
  rules: readonly CoherentRule[],
  memoryState: CoherentAllocDecision['memoryState'],
  decryptPages: boolean,
  remap: boolean,
  extra: Pick<CoherentAllocDecision, 'unreachable' | 'note'> = {},
): CoherentAllocDecision {
  return { ...base, path, rule, rules, memoryState, decryptPages, remap, ...extra };
}

/** A failed allocation: NULL returned, with the failure class and the kernel's log line. */
function refused(
  base: CoherentBase,
  rules: readonly CoherentRule[],
  rule: CoherentRule,
  failure: CoherentAllocDecision['failure'],
  log: string,
): CoherentAllocDecision {
  return {
    ...base,
    path: 'error',
    rule,
    rules: [...rules, rule],
    failure,
    log,
    memoryState: null,
    decryptPages: false,
    remap: false,
  };
}

/**
 * dma_direct_alloc() for a non-coherent device: arch_dma_alloc() (C2), the global coherent pool (C3),
 * or neither set_uncached nor direct remap (C4, fails); otherwise whether the buffer is remapped.
 */
function decideNonCoherent(
  ctx: DecisionContext,
  base: CoherentBase,
  isForAlloc: boolean,
): CoherentAllocDecision | { remap: boolean } {
  const arch = nonCoherentSupport(ctx);
  if (arch.archDmaAlloc && !isForAlloc) return granted(base, 'arch-alloc', 'C2', ['C2'], 'private', false, false);
  if (arch.globalPool) return granted(base, 'global-pool', 'C3', ['C3'], 'private', false, false);
  if (!arch.setUncached && !arch.directRemap)
    return refused(base, [], 'C4', 'F13', 'coherent DMA allocations not supported on this platform.');
  return { remap: arch.directRemap };
}

/** dma_direct_alloc_from_pool() (row C5): the atomic pools, which must match the shared state on L-B. */
function decideAtomicPool(
  ctx: DecisionContext,
  base: CoherentBase,
  rules: readonly CoherentRule[],
  options: CoherentAllocOptions,
  remap: boolean,
  reachable: boolean,
): CoherentAllocDecision {
  const { env, dev } = ctx;
  const exhausted = `Failed to get suitable pool for ${dev.id}`;
  // CONFIG_DMA_COHERENT_POOL=n: dma_direct_alloc_from_pool() WARN_ON_ONCE()s and returns NULL.
  if (!env.config.dmaCoherentPool) return refused(base, rules.slice(0, -1), 'C5', 'F7', exhausted);
  // L-B §6.4: pools carry cc_shared = CC_ATTR_MEM_ENCRYPT; a request of the other state finds no pool.
  if (options.tracksSharedState && env.platform.hasMemEncryption !== base.requestShared)
    return refused(base, rules.slice(0, -1), 'C5', 'F7', exhausted);
  return granted(
    base,
    'atomic-pool',
    'C5',
    rules,
    poolMemoryState(ctx),
    false,
    remap,
    reachable ? {} : { unreachable: true },
  );
}

/**
 * __dma_direct_alloc_pages() from a restricted pool. L-A: dma_set_decrypted() converts the pool's
 * pages again (§14.2 item 9); L-B: the pool must match the shared state and is not re-converted.
 */
function decideRestrictedPool(
  ctx: DecisionContext,
  base: CoherentBase,
  rules: readonly CoherentRule[],
  options: CoherentAllocOptions,
  remap: boolean,
): CoherentAllocDecision {
  const { env, dev } = ctx;
  const poolState = poolMemoryState(ctx);
  const passed: CoherentRule[] = [...rules, remap ? 'C8' : 'C9', 'C10'];
  if (!options.tracksSharedState) {
    const isShared = base.requestShared;
    return granted(base, 'restricted-pool', 'C9', passed, isShared ? 'shared' : poolState, isShared && !remap, remap);
  }
  if (env.platform.hasMemEncryption !== base.requestShared)
    return refused(
      base,
      rules,
      'C6',
      'F6',
      `restricted pool of ${dev.id} does not match the requested encryption state`,
    );
  return granted(base, 'restricted-pool', 'C6', passed, poolState, false, remap);
}

/** Row C8: pages from the page allocator remapped (vmap) for a non-coherent device. */
function decideRemappedPages(
  base: CoherentBase,
  rules: readonly CoherentRule[],
  options: CoherentAllocOptions,
  convert: boolean,
  atomic: boolean,
): CoherentAllocDecision {
  const passed: CoherentRule[] = [...rules, 'C8', 'C10'];
  // Mainline sends GFP_ATOMIC + remap to the atomic pool (C5); only a hunk that turns dma_direct_use_pool() off gets here.
  if (atomic) base.sleepsInAtomic = true;
  if (options.tracksSharedState)
    return granted(base, 'pages', 'C8', passed, convert ? 'shared' : 'private', convert, true);
  const note = base.requestShared
    ? {
        note: 'L-A C8: only the vmap alias is mapped pgprot_decrypted; the linear map and the page state are not converted (fixed by L-B f253a83ff94c)',
      }
    : {};
  return granted(base, 'pages', 'C8', passed, 'private', false, true, note);
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
  const base = coherentBase(ctx, req, options, isShared);

  // dma_coherent_ok() after __dma_direct_alloc_pages()'s GFP_DMA32/GFP_DMA retries: the lowest page
  // decides — an alias or C-bit above the coherent mask fails whatever page the allocator returns.
  const reachable = dmaCoherentOk(ctx, 0n, base.allocBytes);
  if (req.attrs.includes('NO_KERNEL_MAPPING') && !isShared && !isForAlloc) {
    if (!reachable) return refused(base, [], 'C1', 'F5', '');
    return granted(base, 'pages', 'C1', ['C1'], 'private', false, false);
  }
  let remap = false;
  if (!dev.coherent) {
    const nonCoherent = decideNonCoherent(ctx, base, isForAlloc);
    if ('path' in nonCoherent) return nonCoherent;
    remap = nonCoherent.remap;
  }
  if ((remap || isShared) && usePool) return decideAtomicPool(ctx, base, ['C5'], options, remap, reachable);
  const rules: CoherentRule[] = ['C6'];
  if (!reachable) return refused(base, rules, isForAlloc ? 'C6' : 'C9', 'F5', '');
  if (isForAlloc) return decideRestrictedPool(ctx, base, rules, options, remap);
  const convert = isShared && env.platform.hasMemEncryption;
  if (remap) return decideRemappedPages(base, rules, options, convert, req.gfp === 'atomic');
  return granted(base, 'pages', 'C9', [...rules, 'C9', 'C10'], convert ? 'shared' : 'private', convert, false);
}
