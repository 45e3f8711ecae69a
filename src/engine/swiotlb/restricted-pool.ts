import { invariant } from '../invariant';
import { IO_TLB_SHIFT, PAGE_SHIFT, PAGE_SIZE } from './constants';
import { findSlots } from './map-single';
import { classifyFailure } from './metrics';
import type { SwiotlbDevice } from './pool';
import { releaseSlots } from './release-slots';
import type { AllocatorRules } from './rules';
import { createTlbMem, decUsed, type TlbMem } from './tlb-mem';

/**
 * Restricted DMA pools (`restricted-dma-pool` reserved memory; rmem_swiotlb_device_init(),
 * docs/kernel-dma.md §5.10): a per-device io_tlb_mem with one pool of `size >> 11` slots in one area,
 * force_bounce and for_alloc set, never growing. Its size need not be a multiple of 128 slots, so
 * v6.6's free-run initialisation (no clamp to the pool end) matters here.
 */
export interface CreateRestrictedMemOptions {
  readonly rules: AllocatorRules;
  /** rmem->base. */
  readonly start: number;
  /** rmem->size in bytes. */
  readonly sizeBytes: number;
  /** Built with CONFIG_SWIOTLB_DYNAMIC (the search then goes through the pools list; can_grow stays false). */
  readonly dynamic?: boolean;
}

export function createRestrictedMem(options: CreateRestrictedMemOptions): TlbMem {
  const nslabs = Math.floor(options.sizeBytes / 2 ** IO_TLB_SHIFT);
  invariant(nslabs > 0, `restricted pool of ${options.sizeBytes} bytes has no slots`);
  return createTlbMem({
    rules: options.rules,
    defaultPool: { nslabs, nareas: 1, start: options.start },
    dynamic: options.dynamic ?? false,
    canGrow: false,
    defaultNareas: 1,
    forAlloc: true,
  });
}

/** get_order(): the smallest order with 2^order pages ≥ size (size > 0). */
export function getOrder(sizeBytes: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < sizeBytes) order++;
  return order;
}

/**
 * swiotlb_alloc(): a coherent allocation carved from a restricted pool, with orig_addr 0 (no
 * min-align matching). v6.9+ asks for `2^(order + PAGE_SHIFT) - 1` alignment and releases and
 * refuses a result that is not page aligned ("Cannot allocate pages from non page-aligned swiotlb
 * addr"). v6.6 passed alloc_align_mask 0 and, with orig 0, checked no alignment at all: the result
 * can be an odd (2 KiB but not 4 KiB aligned) slot. Returns the physical address or -1 (NULL).
 */
export function swiotlbAlloc(mem: TlbMem, device: SwiotlbDevice, sizeBytes: number, cpu = 0): number {
  invariant(sizeBytes > 0, 'swiotlb_alloc of 0 bytes');
  mem.stats.allocs++;
  const allocAlignMask = mem.ruleSet.coherentAllocAligned ? 2 ** (getOrder(sizeBytes) + PAGE_SHIFT) - 1 : 0;
  const index = findSlots(mem, device, cpu, 0, sizeBytes, allocAlignMask);
  mem.lastSlot = index;
  if (index < 0) return failAlloc(mem, classifyFailure(mem, device, sizeBytes));
  const pool = mem.lastPool!;
  const tlbAddr = pool.start + index * 2048;
  if (mem.ruleSet.coherentAllocAligned && tlbAddr % PAGE_SIZE !== 0) {
    decUsed(mem, releaseSlots(pool, tlbAddr, device.minAlignMask));
    return failAlloc(mem, 'alignment');
  }
  // orig_addr stays INVALID_PHYS_ADDR for a coherent allocation; release leaves origAddr as it
  // was (Pool.origAddr), so the taken slots are set here (a search bounds them to 128 slots).
  pool.origAddr.fill(Number.NaN, index, index + Math.ceil(sizeBytes / 2048));
  mem.lastFailure = null;
  return tlbAddr;
}

function failAlloc(mem: TlbMem, reason: Exclude<TlbMem['lastFailure'], null>): number {
  mem.lastFailure = reason;
  mem.lastSlot = -1;
  mem.stats.failedAllocs++;
  mem.stats.failures[reason]++;
  return -1;
}

/** swiotlb_free(): releases a coherent allocation (swiotlb_release_slots). */
export function swiotlbFree(mem: TlbMem, device: SwiotlbDevice, tlbAddr: number): void {
  const pool = mem.pools.find((p) => tlbAddr >= p.start && tlbAddr < p.start + p.nslabs * 2048);
  if (pool === undefined) invariant(false, `0x${tlbAddr.toString(16)} is not in the restricted pool`);
  decUsed(mem, releaseSlots(pool, tlbAddr, device.minAlignMask));
}
