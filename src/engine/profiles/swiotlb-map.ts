import { invariant } from '../invariant';
import type { DmaAttr } from '../spec/names';
import { poolMemoryState } from './dma-direct';
import type { DecisionContext, StreamingMapDecision, StreamingMapRequest, StreamingRule } from './profile.types';

const cantAllocateLog = "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer";

/**
 * The decision part of swiotlb_map() → swiotlb_tbl_map_single() (docs/kernel-dma.md §5.4): no slots at all
 * (swiotlb=noforce is handled by the callers; a boot allocation failure leaves force_bounce set
 * and nslabs 0, §14.2 item 8) fails with the "Can not allocate" message (F1 class); L-B refuses a
 * pool whose shared state does not match the device (F6, silent) and overwrites CC_SHARED with the
 * pool's state (§14.2 item 6).
 */
export function decideSwiotlbMap(
  ctx: DecisionContext,
  req: StreamingMapRequest,
  rule: StreamingRule,
  reason: 'forced' | 'not-capable' | 'cc-rule',
  tracksSharedState: boolean,
): StreamingMapDecision {
  const { env, dev, hooks } = ctx;
  const mem = hooks.ioTlbMem(env, dev);
  invariant(mem !== null, `device ${dev.id}: swiotlb_map() reached without dev->dma_io_tlb_mem`);
  if (!mem.hasSlots) return { path: 'error', rule, failure: 'F1', log: cantAllocateLog };
  let attrs: readonly DmaAttr[] = req.attrs;
  if (tracksSharedState) {
    const unencrypted = hooks.forceDmaUnencrypted(env, dev);
    if (env.ccAttributes.guestMemEncrypt && mem.ccShared !== unencrypted)
      return { path: 'error', rule, failure: 'F6', log: null };
    if (!env.ccAttributes.guestMemEncrypt && env.ccAttributes.hostMemEncrypt && !mem.ccShared)
      return { path: 'error', rule, failure: 'F6', log: null };
    attrs = mem.ccShared
      ? [...req.attrs.filter((a) => a !== 'CC_SHARED'), 'CC_SHARED']
      : req.attrs.filter((a) => a !== 'CC_SHARED');
  }
  const memoryState = mem.ccShared ? poolMemoryState(ctx) : 'private';
  return {
    path: 'swiotlb',
    rule,
    pool: mem.pool,
    memoryState,
    // L-A always returns phys_to_dma_unencrypted(); L-B (and the private pool of dual-swiotlb-pools) follow the pool's state.
    handleEncoding:
      !mem.ccShared && (tracksSharedState || mem.pool === 'private-default') ? 'encrypted' : 'unencrypted',
    reason,
    forcedOnlyByCmdline: false,
    attrs,
  };
}

/**
 * Marks a forced bounce that happened only because of `swiotlb=force` (V5): the same call without
 * the command-line force would not have bounced.
 */
export function markCmdlineForce(
  ctx: DecisionContext,
  req: StreamingMapRequest,
  decision: StreamingMapDecision,
  decide: (ctx: DecisionContext, req: StreamingMapRequest) => StreamingMapDecision,
): StreamingMapDecision {
  if (decision.path !== 'swiotlb' || decision.reason !== 'forced' || !ctx.env.swiotlb.cmdlineForceBounce)
    return decision;
  const withoutForce = decide(
    { ...ctx, env: { ...ctx.env, swiotlb: { ...ctx.env.swiotlb, cmdlineForceBounce: false } } },
    req,
  );
  return withoutForce.path === 'swiotlb' ? decision : { ...decision, forcedOnlyByCmdline: true };
}
