import type { AtomicPool } from '../pools/atomic-pool';
import { addChunk, chunkBytesFor, poolAlloc, poolAvail, poolFree } from '../pools/atomic-pool';
import type { AtomicPoolZone, CoherentAllocDecision } from '../profiles/profile.types';
import type { SpecDataClass } from '../spec/names';
import { dmaCoherentOk } from '../profiles/dma-direct';
import { growPool } from '../swiotlb/dynamic';
import { swiotlbAlloc, swiotlbFree } from '../swiotlb/restricted-pool';
import { expose, failure, setFacts } from './exposure';
import type { LoweredOp } from './lowered-op';
import { costModel, type CoherentRegion, type DeviceState, GiB, type RunState } from './run-state';

/**
 * Coherent allocations (dma_direct_alloc/free), the atomic pools behind them, memory conversions
 * (set_memory_decrypted/encrypted) and the deferred work that grows pools.
 */

/** Carves `bytes` of physical memory from a zone (page-aligned), or null when the zone is full. */
export function carveZone(run: RunState, zone: AtomicPoolZone, bytes: number): number | null {
  return carveFrom(run.carve, zone, bytes);
}

export function carveFrom(carve: RunState['carve'], zone: AtomicPoolZone, bytes: number): number | null {
  const region = carve[zone];
  const start = Math.ceil(region.next / 4096) * 4096;
  if (start + bytes > region.end) return null;
  region.next = start + bytes;
  return start;
}

/**
 * Modelled cost of one set_memory_decrypted()/encrypted() call on the platform: a hypervisor round
 * trip per `pagesPerCall` pages (SNP PSC takes 64 entries), the per-page work, and a cache flush per
 * page where the platform needs one (TDX).
 */
function conversionNs(run: RunState, kind: 'decrypt' | 'encrypt', pages: number): number {
  const cost = run.resolved.platform.conversionCost;
  const perPage = kind === 'decrypt' ? cost.decryptPerPageNs : cost.encryptPerPageNs;
  const calls = Math.ceil(pages / Math.max(1, cost.pagesPerCall));
  return calls * cost.perCallNs + pages * perPage + (cost.needsCacheFlush ? pages * costModel.cacheFlushPerPageNs : 0);
}

/** set_memory_decrypted/encrypted over `pages` with injected failures (spec faults, F9). Returns false on failure. */
export function convert(run: RunState, kind: 'decrypt' | 'encrypt', pages: number): boolean {
  const rate = kind === 'decrypt' ? run.spec.faults.decryptFailRate : run.spec.faults.encryptFailRate;
  if (kind === 'decrypt') {
    run.counters.decryptCalls++;
    run.counters.decryptPages += pages;
  } else {
    run.counters.encryptCalls++;
    run.counters.encryptPages += pages;
  }
  run.counters.conversionNs += conversionNs(run, kind, pages);
  if (rate > 0 && run.faults.nextFloat() < rate) {
    run.counters.conversionFailures++;
    return false;
  }
  return true;
}

export function allocCoherent(run: RunState, op: Extract<LoweredOp, { kind: 'alloc_coherent' }>, index: number): void {
  const device = run.devices.get(op.device)!;
  if (device.refusedAtProbe) {
    run.counters.failedCoherentAllocs++;
    run.findings.addFailure('F14', device.id, device.index, index, 'virtio-access-platform', 'probe', null);
    return;
  }
  const decision = run.profile.decideCoherentAlloc(device.ctx, { sizeBytes: op.size, gfp: op.gfp, attrs: [] });
  if (decision.path === 'error' || decision.failure) {
    run.counters.failedCoherentAllocs++;
    const log = decision.log;
    failure(
      run,
      device,
      index,
      decision.failure ?? 'F13',
      decision.rule,
      'dma_direct_alloc',
      `dma_direct_alloc:${decision.failure ?? 'F13'}`,
      log ? 'once' : 'none',
      log ? () => log : null,
    );
    return;
  }
  const pages = Math.ceil(decision.allocBytes / 4096);
  let addr = 0;
  let pool: AtomicPool | null = null;
  let memory: CoherentRegion['memory'] = 'coherent-pages';
  if (decision.path === 'atomic-pool') {
    memory = 'atomic-pool';
    const got = allocFromAtomicPool(run, device, decision, op.noWarn, index);
    if (!got) return;
    ({ addr, pool } = got);
  } else if (decision.path === 'restricted-pool') {
    memory = 'restricted-pool';
    const at = device.restricted ? swiotlbAlloc(device.restricted, device.swiotlb, decision.allocBytes) : -1;
    if (at < 0) {
      run.counters.failedCoherentAllocs++;
      run.findings.addFailure('F1', device.id, device.index, index, decision.rule, 'restricted pool full', null);
      return;
    }
    addr = at;
    // L-A converts the (already decrypted) restricted-pool pages again (§14.2 item 9).
    if (decision.decryptPages && !convert(run, 'decrypt', pages))
      return decryptFailed(run, device, decision, index, pages, () =>
        swiotlbFree(device.restricted!, device.swiotlb, at),
      );
  } else if (decision.decryptPages) {
    // dma_direct_alloc() row C9: set_memory_decrypted(); failure ⇒ pages leaked (v6.9+, b9fa16949d18) and NULL.
    if (!convert(run, 'decrypt', pages)) return decryptFailed(run, device, decision, index, pages, null);
  }
  if (decision.sleepsInAtomic)
    failure(
      run,
      device,
      index,
      'F16',
      decision.rule,
      'remap in atomic context',
      'vmap:might_sleep',
      'once',
      () => 'BUG: sleeping function called from invalid context at mm/vmalloc.c',
      false,
    );
  const shared = decision.memoryState === 'shared';
  if (shared) run.counters.coherentSharedBytes += decision.allocBytes;
  device.live++;
  run.coherent.set(op.id, { device, size: op.size, shared, memory, decision, addr, pool });
}

/**
 * dma_alloc_from_pool() (docs/kernel-dma.md §6.3): dma_guess_pool() order; L-B skips pools whose cc_shared
 * differs. Null after recording F7. dma_direct_alloc() turns DMA_ATTR_NO_WARN into __GFP_NOWARN,
 * which silences WARN(!(gfp & __GFP_NOWARN), "DMA pool exhausted for %s") but not the
 * unconditional WARN(1, "Failed to get suitable pool for %s").
 */
function allocFromAtomicPool(
  run: RunState,
  device: DeviceState,
  decision: CoherentAllocDecision,
  noWarn: boolean,
  index: number,
): { addr: number; pool: AtomicPool } | null {
  let found = false;
  for (const zone of decision.atomicPools) {
    const candidate = run.atomicPools[zone];
    if (!candidate) continue;
    if (run.profile.tracksSharedState && run.env.ccAttributes.memEncrypt !== decision.requestShared) continue;
    found = true;
    if (decision.unreachable) continue; // __dma_alloc_from_pool(): phys_addr_ok() fails, the chunk goes back
    const at = poolAlloc(candidate, decision.allocBytes);
    if (at < 0) continue;
    if (poolAvail(candidate) < run.atomicPoolBytes) run.atomicGrowthScheduled = true; // schedule_work(&atomic_pool_work)
    return { addr: at, pool: candidate };
  }
  for (const zone of decision.atomicPools) if (run.atomicPools[zone]) run.atomicPools[zone]!.exhaustions++;
  run.counters.failedCoherentAllocs++;
  const split = run.resolved.kernel.hasPoolExhaustedMessage && found;
  const text = split ? `DMA pool exhausted for ${device.id}` : `Failed to get suitable pool for ${device.id}`;
  failure(
    run,
    device,
    index,
    'F7',
    decision.rule,
    found ? 'pools exhausted' : 'no suitable pool',
    split ? 'dma_alloc_from_pool:exhausted' : 'dma_alloc_from_pool:unsuitable',
    split && noWarn ? 'none' : 'every',
    () => text,
    false,
  );
  return null;
}

function decryptFailed(
  run: RunState,
  device: DeviceState,
  decision: CoherentAllocDecision,
  index: number,
  pages: number,
  free: (() => void) | null,
): void {
  run.counters.failedCoherentAllocs++;
  if (decision.leakOnConversionFailure) run.counters.leakedPages += pages;
  else free?.();
  run.findings.addFailure('F9', device.id, device.index, index, decision.rule, 'decrypt', null);
}

export function freeCoherent(run: RunState, id: string | number, index: number): void {
  const region = run.coherent.get(id);
  if (!region) return;
  run.coherent.delete(id);
  const device = region.device;
  device.live--;
  const free = run.profile.decideCoherentFree(device.ctx, region.decision);
  if (region.pool) {
    poolFree(region.pool, region.addr); // back to the gen_pool, still shared and unscrubbed (V4)
    return;
  }
  const pages = Math.ceil(region.decision.allocBytes / 4096);
  if (free.encryptPages && !convert(run, 'encrypt', pages)) {
    // dma_set_encrypted(): "leaking DMA memory that can't be re-encrypted" (pr_warn_ratelimited); the pages are never freed.
    run.counters.leakedPages += pages;
    failure(
      run,
      device,
      index,
      'F9',
      free.rule,
      'encrypt',
      'dma_set_encrypted',
      'ratelimited',
      () => "leaking DMA memory that can't be re-encrypted",
      false,
    );
    return;
  }
  if (region.memory === 'restricted-pool' && device.restricted)
    swiotlbFree(device.restricted, device.swiotlb, region.addr);
}

export function cpuWrite(run: RunState, id: string | number, bytes: number, data: SpecDataClass, index: number): void {
  const region = run.coherent.get(id);
  if (!region || !region.shared) return;
  const written = Math.min(bytes, region.size);
  if (data === 'public') {
    run.counters.publicBytesShared += written;
    return;
  }
  setFacts(run, 'cpu-write', region.memory, null, data, region.decision.rule, region.memory, false);
  expose(run, region.device, index, written);
}

/** Memory for dynamic SWIOTLB pools (docs/kernel-dma.md §5.8): transient pools from the atomic pool in CoCo guests, grown pools from the buddy allocator + decryption. */
export function swiotlbBacking(
  run: RunState,
  bytes: number,
  physLimit: number,
  purpose: 'transient' | 'grow',
): number | null {
  if (purpose === 'transient' && run.memEncrypt) {
    if (!run.env.config.dmaCoherentPool) return null;
    for (const zone of ['kernel', 'dma32', 'dma'] as const) {
      const pool = run.atomicPools[zone];
      if (!pool) continue;
      const at = poolAlloc(pool, bytes);
      if (at < 0) continue;
      // swiotlb_alloc_tlb() → dma_alloc_from_pool(..., dma_coherent_ok): the coherent mask decides, not the streaming one.
      const device = run.mappingDevice;
      if (device === null ? at + bytes - 1 > physLimit : !dmaCoherentOk(device.ctx, BigInt(at), bytes)) {
        poolFree(pool, at);
        continue;
      }
      if (poolAvail(pool) < run.atomicPoolBytes) run.atomicGrowthScheduled = true;
      return at;
    }
    // dma_alloc_from_pool() with GFP_NOWAIT (which includes __GFP_NOWARN): releases before 56c430c7f06d
    // WARN "Failed to get suitable pool" anyway; later ones stay silent (docs/kernel-dma.md §14.2 item 10).
    if (!run.resolved.kernel.hasPoolExhaustedMessage && run.mappingDevice) {
      const id = run.mappingDevice.id;
      run.log.log(
        'dma_alloc_from_pool:unsuitable',
        'every',
        run.operationsDone,
        () => `Failed to get suitable pool for ${id}`,
      );
    }
    return null;
  }
  const zone: AtomicPoolZone = physLimit < 4 * GiB ? 'dma32' : 'kernel';
  const start = carveZone(run, zone, bytes) ?? (zone === 'kernel' ? carveZone(run, 'dma32', bytes) : null);
  if (start === null) return null;
  if (run.memEncrypt && !convert(run, 'decrypt', Math.ceil(bytes / 4096))) {
    run.counters.leakedPages += Math.ceil(bytes / 4096);
    run.findings.addFailure('F9', run.deviceList[0]!.id, 0, run.operationsDone, 'swiotlb-dyn-alloc', 'decrypt', null);
    return null;
  }
  return start;
}

export function releaseTransientBacking(run: RunState, start: number): void {
  for (const zone of ['kernel', 'dma32', 'dma'] as const)
    if (run.atomicPools[zone] && poolFree(run.atomicPools[zone]!, start)) return;
}

/** Deferred kernel work: the SWIOTLB grower, atomic_pool_work_fn (double each pool below the target, chunks ≤ 4 MiB, decrypted; never shrinking). */
export function runDeferred(run: RunState, index: number): void {
  if (run.mem?.growRequested) {
    // swiotlb_dyn_alloc() adds the pool silently: the kernel prints nothing when a pool grows.
    growPool(run.mem);
  }
  if (!run.atomicGrowthScheduled) return;
  run.atomicGrowthScheduled = false;
  for (const zone of ['dma', 'dma32', 'kernel'] as const) {
    const pool = run.atomicPools[zone];
    if (!pool || poolAvail(pool) >= run.atomicPoolBytes) continue;
    const bytes = chunkBytesFor(pool.sizeBytes);
    const start = carveZone(run, zone, bytes);
    if (start === null) continue;
    if (run.memEncrypt && !convert(run, 'decrypt', bytes / 4096)) {
      run.counters.leakedPages += bytes / 4096; // the chunk is leaked, the pool does not grow
      run.findings.addFailure('F9', run.deviceList[0]!.id, 0, index, 'atomic_pool_expand', 'decrypt', null);
      continue;
    }
    addChunk(pool, start, bytes, false);
  }
}
