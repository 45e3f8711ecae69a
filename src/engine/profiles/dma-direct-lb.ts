import { hasAttr, dmaCapable, dmaKmallocNeedsBounce, overflowLog } from './dma-direct';
import type { DecisionContext, StreamingMapDecision, StreamingMapRequest } from './profile.types';
import type { DmaAttr } from '../spec/names';
import { decideSwiotlbMap, markCmdlineForce } from './swiotlb-map';

/**
 * dma_direct_map_phys() in L-B (docs/kernel-dma.md §3.2, torvalds/linux kernel/dma/direct.c @ 63e62b63e853;
 * §14.2 items 2 and 6). SWIOTLB_FORCE is gone: force_bounce now comes only from `swiotlb=force` or
 * a restricted pool; private buffers of devices that need shared memory bounce because the new
 * dma_capable() CC rule rejects their private handle (row B5).
 */
function decideStreamingMapOnce(ctx: DecisionContext, req: StreamingMapRequest): StreamingMapDecision {
  const { env, dev, hooks } = ctx;
  const isMmio = hasAttr(req.attrs, 'MMIO');
  const requiresCoherent = hasAttr(req.attrs, 'REQUIRE_COHERENT');
  let attrs: readonly DmaAttr[] = req.attrs;
  // Row B0: on an SME host MMIO is treated as shared (the reference follows the merged v7 series;
  // the posted v5 used force_dma_unencrypted(dev) instead of CC_ATTR_HOST_MEM_ENCRYPT here).
  const isB0 = isMmio && env.ccAttributes.hostMemEncrypt && !hasAttr(attrs, 'CC_SHARED');
  if (isB0) attrs = [...attrs, 'CC_SHARED'];
  const isCcShared = hasAttr(attrs, 'CC_SHARED');
  const request = { ...req, attrs };

  if (hooks.isSwiotlbForceBounce(env, dev)) {
    if (isMmio || requiresCoherent) return { path: 'error', rule: 'B1', failure: 'F10', log: null };
    return decideSwiotlbMap(ctx, request, 'B2', 'forced', true);
  }
  // Row B3: the handle follows CC_SHARED.
  const handle = isCcShared
    ? hooks.physToDmaUnencrypted(env, dev, req.phys)
    : hooks.physToDmaEncrypted(env, dev, req.phys);
  const handleEncoding = isCcShared ? ('unencrypted' as const) : ('encrypted' as const);
  if (isMmio) {
    // Row B4: P2P; the CC rule applies to MMIO too, so a CoCo guest needs CC_SHARED (F11).
    if (!dmaCapable(ctx, handle, req.sizeBytes, attrs)) {
      const ccRule = !isCcShared && hooks.forceDmaUnencrypted(env, dev);
      return {
        path: 'error',
        rule: 'B4',
        failure: ccRule ? 'F11' : 'F5',
        log: overflowLog(handle, req.sizeBytes, ctx, 'DMA'),
      };
    }
    return {
      path: 'direct',
      rule: isB0 ? 'B0' : 'B4',
      handle,
      handleEncoding,
      memoryState: isCcShared ? 'shared' : 'private',
      isMmio: true,
      syncForDevice: false,
    };
  }
  if (!dmaCapable(ctx, handle, req.sizeBytes, attrs) || dmaKmallocNeedsBounce(ctx, req.sizeBytes, req.dir)) {
    // Row B5: bounce when a pool is active (and not REQUIRE_COHERENT), else WARN + error (F5).
    if (hooks.isSwiotlbActive(env, dev) && !requiresCoherent) {
      const reason = dmaCapable(ctx, handle, req.sizeBytes, null) ? 'cc-rule' : 'not-capable';
      return decideSwiotlbMap(ctx, request, 'B5', reason, true);
    }
    return { path: 'error', rule: 'B5', failure: 'F5', log: overflowLog(handle, req.sizeBytes, ctx, 'DMA') };
  }
  // Row B6: direct. The CC rule already refused private handles of devices that need shared memory.
  const needsShared = !isCcShared && hooks.forceDmaUnencrypted(env, dev) && !hooks.mayAccessPrivate(env, dev);
  return {
    path: 'direct',
    rule: 'B6',
    handle,
    handleEncoding,
    memoryState: isCcShared ? 'shared' : 'private',
    isMmio: false,
    syncForDevice: !dev.coherent && !hasAttr(attrs, 'SKIP_CPU_SYNC'),
    ...(needsShared ? { failure: 'F8' as const } : {}),
  };
}

/** dma_direct_map_phys() in L-B: rows B0–B6. */
export function decideStreamingMapLb(ctx: DecisionContext, req: StreamingMapRequest): StreamingMapDecision {
  return markCmdlineForce(ctx, req, decideStreamingMapOnce(ctx, req), decideStreamingMapOnce);
}
