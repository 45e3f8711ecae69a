import { invariant } from '../invariant';
import { IO_TLB_SEGSIZE, IO_TLB_SHIFT } from './constants';
import type { AllocatorRules } from './rules';

/**
 * One `io_tlb_pool`: a physically contiguous run of 2 KiB slots split into areas, each with its own
 * next-fit index and used count. Slot metadata lives in typed arrays (6 bytes per slot plus the
 * original address), so a 1 GiB pool costs about 7 MiB, off the JS heap.
 *
 * Addresses are plain numbers: physical addresses and bounce addresses stay below 2^52 on every
 * platform modelled, so they are exact in a double. Masks and segment boundaries, which can be
 * ULONG_MAX, are handled as bigint once per pool and device (see PoolGeometry).
 */
export interface Pool {
  readonly rules: AllocatorRules;
  /** Physical address of slot 0. */
  readonly start: number;
  /** Slots in the pool (`nslabs`). */
  readonly nslabs: number;
  readonly nareas: number;
  /** Slots per area (`area_nslabs`); slots beyond nareas * areaSlots are never searched. */
  readonly areaSlots: number;
  /** Free contiguous slots from here to the segment end; 0 = in use (`slots[].list`). */
  readonly list: Uint8Array;
  /** Bytes of the allocation from this slot on (`slots[].alloc_size`). */
  readonly allocSize: Uint32Array;
  /** Padding slots before this slot's buffer, stored in its first non-padding slot (v6.9+, `pad_slots`). */
  readonly padSlots: Uint8Array;
  /** Original address this slot mirrors, or NaN (`INVALID_PHYS_ADDR`). */
  readonly origAddr: Float64Array;
  /** Per-area slots in use (`areas[].used`). */
  readonly areaUsed: Int32Array;
  /** Per-area next-fit start, relative to the area (`areas[].index`). */
  readonly areaIndex: Int32Array;
  /** A transient pool of dynamic SWIOTLB: one allocation, deleted on unmap. */
  readonly transient: boolean;
  /** Geometry per device (segment boundary, DMA base), computed once. */
  readonly geometryCache: Map<object, PoolGeometry>;
}

/** What the search needs about a (pool, device) pair, precomputed from bigints into exact numbers. */
export interface PoolGeometry {
  /** Low 32 bits of `tbl_dma_addr` (pool start as a DMA address, masked by the segment boundary). */
  readonly baseLow32: number;
  /** `nr_slots(tbl_dma_addr)`: the pool start in slots, for iommu_is_span_boundary(). */
  readonly baseSlots: number;
  /** `get_max_slots(boundary_mask)`: the boundary in slots (a power of two, up to 2^53). */
  readonly maxSlots: number;
}

export interface CreatePoolOptions {
  readonly nslabs: number;
  readonly nareas: number;
  readonly start: number;
  readonly rules: AllocatorRules;
  readonly transient?: boolean;
}

/** swiotlb_init_io_tlb_pool(): every slot free, free-run counters counting down to each segment end. */
export function createPool(options: CreatePoolOptions): Pool {
  const { nslabs, nareas, start, rules } = options;
  invariant(Number.isInteger(nslabs) && nslabs > 0, `nslabs must be a positive integer, got ${nslabs}`);
  invariant(Number.isInteger(nareas) && nareas > 0 && (nareas & (nareas - 1)) === 0, `nareas must be a power of two, got ${nareas}`);
  invariant(nslabs / nareas >= 1, `nslabs ${nslabs} smaller than nareas ${nareas}`);
  invariant(Number.isSafeInteger(start) && start >= 0 && start % 2048 === 0 && start + nslabs * 2048 < 2 ** 52, `pool start 0x${start.toString(16)} must be slot-aligned and below 2^52`);
  const list = new Uint8Array(nslabs);
  for (let i = 0; i < nslabs; i++) {
    const toSegmentEnd = IO_TLB_SEGSIZE - (i % IO_TLB_SEGSIZE);
    // v6.6 ignored the pool end (differs only for pools that are not a multiple of 128 slots).
    list[i] = rules === 'v6.6' ? toSegmentEnd : Math.min(toSegmentEnd, nslabs - i);
  }
  return {
    rules,
    start,
    nslabs,
    nareas,
    areaSlots: Math.floor(nslabs / nareas),
    list,
    allocSize: new Uint32Array(nslabs),
    padSlots: new Uint8Array(nslabs),
    origAddr: new Float64Array(nslabs).fill(Number.NaN),
    areaUsed: new Int32Array(nareas),
    areaIndex: new Int32Array(nareas),
    transient: options.transient ?? false,
    geometryCache: new Map(),
  };
}

/** Physical address of a slot (`slot_addr(pool->start, index)`). */
export function slotAddr(pool: Pool, index: number): number {
  return pool.start + index * 2048;
}

/** The pool's geometry for a device: `tbl_dma_addr`, `nr_slots(tbl_dma_addr)` and `max_slots`. */
export function poolGeometry(pool: Pool, device: { readonly segBoundaryMask: bigint; readonly encodeUnencrypted?: (phys: bigint) => bigint }): PoolGeometry {
  const cached = pool.geometryCache.get(device);
  if (cached) return cached;
  const boundary = device.segBoundaryMask;
  invariant(boundary >= 0xfffn && (boundary & (boundary + 1n)) === 0n, `segment boundary 0x${boundary.toString(16)} must be 2^n - 1`);
  const dmaStart = device.encodeUnencrypted ? device.encodeUnencrypted(BigInt(pool.start)) : BigInt(pool.start);
  const tblDmaAddr = dmaStart & boundary;
  const geometry: PoolGeometry = {
    baseLow32: Number(tblDmaAddr & 0xffffffffn),
    baseSlots: Number((tblDmaAddr + 2047n) >> BigInt(IO_TLB_SHIFT)),
    maxSlots: Number((boundary >> BigInt(IO_TLB_SHIFT)) + 1n),
  };
  pool.geometryCache.set(device, geometry);
  return geometry;
}

/** Slots in use across the pool's areas. */
export function poolUsed(pool: Pool): number {
  let used = 0;
  for (let a = 0; a < pool.nareas; a++) used += pool.areaUsed[a]!;
  return used;
}
