import { invariant } from '../invariant';
import { type AllocatorRules, type RuleSet, ruleSets } from './rules';

/**
 * One `struct io_tlb_pool`: a physically contiguous run of 2 KiB slots split into areas, each with
 * its own next-fit index and used count.
 *
 * Number representation (documented in docs/engine/swiotlb.md):
 * - Slot metadata lives in typed arrays, off the V8 heap: `listPad` Uint16 (`list` ≤ 128 and
 *   `pad_slots` ≤ 31, the offset being at most min_align_mask 0xffff), `allocSize` Int32 and
 *   `origAddr` Float64 — 14 bytes per slot in ArrayBuffers, no per-slot JS objects (a 1 GiB pool
 *   of 524,288 slots costs 7 MiB of buffers and a few hundred bytes of heap). Arrays per field,
 *   not the kernel's array of structs: packed records were measured no faster or slower (the
 *   search reads `list` 2 bytes a slot instead of 16; docs/engine/swiotlb.md), and the one cost
 *   of separate arrays on release — pad_slots and alloc_size in two cache lines — is hidden by
 *   loading both at once (release-slots.ts).
 * - Physical addresses are plain numbers. Every address the model handles is below 2^52 (checked
 *   when a pool is created and by the replay parser), so `start + index * 2048` and
 *   `orig + i * 2048` are exact doubles. `origAddr` holds NaN for INVALID_PHYS_ADDR.
 * - `allocSize` is `size_t` in the kernel; the last slots of an allocation with a pre-padding
 *   offset can go "negative" there (wrapping to a huge value). Only the first slot's value is read
 *   back on release, where it is always positive; stored wrapped modulo 2^32 (as int32) here.
 * - Masks and segment boundaries (up to ULONG_MAX) are bigint at the API and reduced once per
 *   (pool, device) into exact numbers (PoolGeometry), so the search loop is integer-only.
 */
export interface Pool {
  readonly rules: AllocatorRules;
  readonly ruleSet: RuleSet;
  /** Physical address of slot 0. */
  readonly start: number;
  /** Slots in the pool (`nslabs`). */
  readonly nslabs: number;
  readonly nareas: number;
  /** Slots per area (`area_nslabs`); slots beyond nareas * areaSlots are never a search start. */
  readonly areaSlots: number;
  /** log2(areaSlots) when areaSlots is a power of two (the usual case), else -1: lets release find the area with a shift instead of a division. */
  readonly areaShift: number;
  /**
   * Slots the metadata arrays hold: nslabs, or (v6.6 only, pools not a multiple of 128 slots)
   * up to the next segment end, because v6.6's free-run counters ignore the pool end and an
   * allocation can run past it (the bug fixed by "swiotlb: fix out-of-bounds TLB allocations").
   */
  readonly capacity: number;
  /**
   * `slots[].list | slots[].pad_slots << 8`, one 16-bit word per slot. Low byte `list`: free
   * contiguous slots from here to the segment end (≤ 128), 0 = in use. High byte `pad_slots`
   * (v6.9+, ≤ 31): padding slots before this slot's buffer, stored in its first non-padding slot.
   * One array because release writes both for every freed slot and reads pad_slots before the
   * alloc_size and `list` it depends on (one typed-array access instead of two per slot: V8 checks
   * and loads every typed array separately). Exact because only a slot in use carries pad_slots:
   * a slot with `list` > 0 always has pad_slots 0 (release clears both together, and only free
   * slots are renumbered or taken), so writing a free-run count writes pad_slots 0, as the kernel
   * has it. Readers of `list` mask the low byte (slotList()).
   */
  readonly listPad: Uint16Array;
  /**
   * Bytes of the allocation from this slot on (`slots[].alloc_size`), modulo 2^32 as a signed
   * 32-bit value: the kernel's size_t wraps for the last slots of a padded allocation; only the
   * first slot's value (at most 128 slots' worth) is read back. Int32, so the hot paths do
   * int32 arithmetic on it. Meaningful only while the slot is in use (`list` 0): release does not
   * write the kernel's `alloc_size = 0` (read it through slotAllocSize(), which gives 0 for a free slot).
   */
  readonly allocSize: Int32Array;
  /**
   * Original address this slot mirrors (`slots[].orig_addr`), NaN for INVALID_PHYS_ADDR. Like
   * allocSize, only meaningful while the slot is in use: release does not write INVALID_PHYS_ADDR
   * (slotOrigAddr() gives NaN for a free slot), and a map writes NaN into its padding slots.
   */
  readonly origAddr: Float64Array;
  /** Per-area slots in use (`areas[].used`). */
  readonly areaUsed: Int32Array;
  /** Per-area next-fit start, relative to the area (`areas[].index`). */
  readonly areaIndex: Int32Array;
  /** A transient pool of dynamic SWIOTLB: one allocation, deleted on unmap. */
  readonly transient: boolean;
  /** One-entry cache of the last device's geometry (the hot path maps for one device at a time). */
  cachedDevice: object | null;
  cachedGeometry: PoolGeometry | null;
  /** Geometry per device (segment boundary, DMA base), computed once. */
  readonly geometryCache: WeakMap<object, PoolGeometry>;
}

/** What the search needs about a (pool, device) pair, precomputed from bigints into exact numbers. */
export interface PoolGeometry {
  /**
   * Low 32 bits of `tbl_dma_addr` (pool start as a DMA address, masked by the segment boundary) as
   * an int32 bit pattern, so it stays a small integer in V8. Alignment masks are `unsigned int`, so
   * only these bits are ever compared.
   */
  readonly baseLow32: number;
  /** `nr_slots(tbl_dma_addr) % max_slots`: the pool start in slots, reduced modulo the boundary. */
  readonly baseSlotsModMax: number;
  /** `get_max_slots(boundary_mask)`: the boundary in slots (a power of two, up to 2^53). */
  readonly maxSlots: number;
  /**
   * True when no allocation starting in this pool can cross the boundary, so the search skips the
   * check: true when every slot plus 128 (IO_TLB_SEGSIZE) stays inside one boundary window. Longer
   * requests never pass the `list` test (a free run is at most 128 slots), which the search
   * evaluates first, so their boundary outcome is never used.
   */
  readonly neverCrosses: boolean;
}

/** What the allocator needs to know about a device (the `struct device` fields it reads). */
export interface SwiotlbDevice {
  /** dma_get_min_align_mask(), at most 0xffff. */
  readonly minAlignMask: number;
  /** dma_get_seg_boundary(): 2^n - 1, up to ULONG_MAX (0xffffffffffffffffn). */
  readonly segBoundaryMask: bigint;
  /** phys_to_dma_unencrypted() for this device; identity when absent. */
  readonly encodeUnencrypted?: (phys: bigint) => bigint;
  /** min_not_zero(*dma_mask, bus_dma_limit): the highest address a transient pool may use. */
  readonly physLimit?: number;
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
  const ruleSet = ruleSets[rules];
  invariant(
    Number.isInteger(nslabs) && nslabs > 0 && nslabs < 2 ** 30,
    `nslabs must be a positive integer below 2^30, got ${nslabs}`,
  );
  // Not necessarily a power of two: limit_nareas() can leave e.g. 5 areas; the kernel then masks with nareas - 1 as written.
  invariant(Number.isInteger(nareas) && nareas > 0, `nareas must be a positive integer, got ${nareas}`);
  invariant(nareas <= nslabs, `nslabs ${nslabs} smaller than nareas ${nareas}`);
  invariant(
    Number.isSafeInteger(start) && start >= 0 && start % 2048 === 0 && start + nslabs * 2048 < 2 ** 52,
    `pool start 0x${start.toString(16)} must be slot-aligned and the pool must end below 2^52`,
  );
  const areaSlots = Math.floor(nslabs / nareas);
  const capacity = ruleSet.freeRunClampedToPoolEnd ? nslabs : Math.ceil(nslabs / 128) * 128;
  const slots = slotArraysFor(capacity, nslabs, ruleSet.freeRunClampedToPoolEnd);
  // Slots past nslabs (v6.6 only) exist only so an overrunning allocation has somewhere to be
  // recorded; they read as "in use" so merges never extend into them.
  return {
    rules,
    ruleSet,
    start,
    nslabs,
    nareas,
    areaSlots,
    areaShift: (areaSlots & (areaSlots - 1)) === 0 ? 31 - Math.clz32(areaSlots) : -1,
    capacity,
    ...slots,
    areaUsed: new Int32Array(nareas),
    areaIndex: new Int32Array(nareas),
    transient: options.transient ?? false,
    cachedDevice: null,
    cachedGeometry: null,
    geometryCache: new WeakMap(),
  };
}

/** The per-slot arrays of a pool (`pool->slots`): list and pad_slots share one word. */
interface SlotArrays {
  listPad: Uint16Array;
  allocSize: Int32Array;
  origAddr: Float64Array;
}

/**
 * Slot arrays of finished runs' pools, by capacity, reused by the next pool of that capacity.
 * A guest's boot pool is large (a 1 GiB pool has 524,288 slots, 7 MiB of arrays), and a service
 * runs thousands of small runs one after another in one thread: allocating them afresh per run made
 * garbage collection the largest cost of a short run. Reuse is invisible to results: what can be
 * read of the arrays is reset to swiotlb_init_io_tlb_pool()'s state before they are handed out
 * (see slotArraysFor). Bounded in bytes.
 */
const spareSlotArrays = new Map<number, SlotArrays[]>();
const spareSlotBytesMax = 64 * 2 ** 20;
let spareSlotBytes = 0;

function slotArrayBytes(capacity: number): number {
  return capacity * (2 + 4 + 8) + 2;
}

/** Slot arrays for a new pool, in swiotlb_init_io_tlb_pool()'s state: every slot free, nothing mirrored. */
function slotArraysFor(capacity: number, nslabs: number, clampedToPoolEnd: boolean): SlotArrays {
  const spare = spareSlotArrays.get(capacity)?.pop();
  let slots: SlotArrays;
  if (spare) {
    spareSlotBytes -= slotArrayBytes(capacity);
    // A free slot's alloc_size and orig_addr are never read (slotAllocSize() / slotOrigAddr() give 0 /
    // invalid while `list` is not 0, and a map writes every slot it takes), and initFreeRuns() below
    // frees every slot below nslabs: only the slots past nslabs (v6.6, read as in use) need the boot
    // values. For a 1 GiB pool that is 6 MiB of writes per run fewer.
    spare.allocSize.fill(0, nslabs);
    spare.origAddr.fill(Number.NaN, nslabs);
    slots = spare;
  } else {
    // One entry more than the slots: swiotlb_release_slots() reads slots[index + nslots].list whenever that is
    // before the end of index's segment, which for an allocation ending at the last slot of a pool that
    // is not a multiple of 128 slots is one past the array. The kernel's array is PAGE_ALIGNed, zeroed
    // memory (swiotlb_init_remap, swiotlb_alloc_pool), so that read is 0; this entry stays 0 the same way.
    slots = {
      listPad: new Uint16Array(capacity + 1),
      allocSize: new Int32Array(capacity),
      origAddr: new Float64Array(capacity).fill(Number.NaN),
    };
  }
  initFreeRuns(slots.listPad, nslabs, clampedToPoolEnd);
  return slots;
}

/**
 * `slots[i].list = IO_TLB_SEGSIZE - io_tlb_offset(i)` for every slot (v6.7+: at most the slots left in
 * the pool) with `pad_slots` 0, and 0 past nslabs. The counters repeat every 128 slots, so the first
 * segment is written and then copied by doubling.
 */
function initFreeRuns(listPad: Uint16Array, nslabs: number, clampedToPoolEnd: boolean): void {
  const first = Math.min(128, nslabs);
  for (let i = 0; i < first; i++) listPad[i] = 128 - i;
  for (let filled = first; filled < nslabs;) {
    const copied = Math.min(filled, nslabs - filled);
    listPad.copyWithin(filled, 0, copied);
    filled += copied;
  }
  // v6.6 ignored the pool end (differs only for pools that are not a multiple of 128 slots).
  if (clampedToPoolEnd)
    for (let i = Math.max(0, nslabs - 128); i < nslabs; i++) listPad[i] = Math.min(128 - (i & 127), nslabs - i);
  listPad.fill(0, nslabs);
}

const releasedListPad = new Uint16Array(0);
const releasedAllocSize = new Int32Array(0);
const releasedOrigAddr = new Float64Array(0);

/**
 * Hands a pool's slot arrays back for reuse by a later pool (see spareSlotArrays). Only when the run
 * that owns the pool is over: the pool is left with empty arrays, so any later use reads nothing.
 */
export function releasePool(pool: Pool): void {
  if (pool.listPad === releasedListPad) return;
  const bytes = slotArrayBytes(pool.capacity);
  if (spareSlotBytes + bytes <= spareSlotBytesMax) {
    const spares = spareSlotArrays.get(pool.capacity) ?? [];
    spares.push({ listPad: pool.listPad, allocSize: pool.allocSize, origAddr: pool.origAddr });
    spareSlotArrays.set(pool.capacity, spares);
    spareSlotBytes += bytes;
  }
  const released = pool as { listPad: Uint16Array; allocSize: Int32Array; origAddr: Float64Array };
  released.listPad = releasedListPad;
  released.allocSize = releasedAllocSize;
  released.origAddr = releasedOrigAddr;
}

/** `slots[slot].list`: free contiguous slots from this one to the segment end (0 = in use). */
export function slotList(pool: Pool, slot: number): number {
  return pool.listPad[slot]! & 255;
}

/** `slots[slot].pad_slots`. */
export function slotPadSlots(pool: Pool, slot: number): number {
  return pool.listPad[slot]! >> 8;
}

/**
 * `slots[slot].alloc_size` as the kernel has it: 0 once the slot is free. Pool.allocSize keeps a
 * freed slot's old value (release skips the clear, see releaseSlotRun()), so a free slot reads 0 here.
 */
export function slotAllocSize(pool: Pool, slot: number): number {
  return (pool.listPad[slot]! & 255) !== 0 ? 0 : pool.allocSize[slot]!;
}

/** `slots[slot].orig_addr` as the kernel has it: NaN (INVALID_PHYS_ADDR) once the slot is free (see slotAllocSize()). */
export function slotOrigAddr(pool: Pool, slot: number): number {
  return (pool.listPad[slot]! & 255) !== 0 ? Number.NaN : pool.origAddr[slot]!;
}

/** Physical address of a slot (`slot_addr(pool->start, index)`). */
export function slotAddr(pool: Pool, index: number): number {
  return pool.start + index * 2048;
}

/** Physical end of the pool (`pool->end`, exclusive). */
export function poolEnd(pool: Pool): number {
  return pool.start + pool.nslabs * 2048;
}

/** The pool's geometry for a device: `tbl_dma_addr`, `nr_slots(tbl_dma_addr)` and `max_slots`, reduced to exact numbers once. */
export function poolGeometry(pool: Pool, device: SwiotlbDevice): PoolGeometry {
  // Split so this check stays small enough for V8 to inline into the map path.
  return pool.cachedDevice === device ? pool.cachedGeometry! : geometryForNewDevice(pool, device);
}

function geometryForNewDevice(pool: Pool, device: SwiotlbDevice): PoolGeometry {
  let geometry = pool.geometryCache.get(device);
  if (geometry === undefined) {
    const boundary = device.segBoundaryMask;
    invariant(
      boundary >= 0xfffn && boundary <= 0xffffffffffffffffn && (boundary & (boundary + 1n)) === 0n,
      `segment boundary 0x${boundary.toString(16)} must be 2^n - 1 (n ≥ 12)`,
    );
    const dmaStart = device.encodeUnencrypted ? device.encodeUnencrypted(BigInt(pool.start)) : BigInt(pool.start);
    const tblDmaAddr = dmaStart & boundary;
    // get_max_slots(): (boundary >> 11) + 1 in unsigned long — 2^53 for ULONG_MAX, never 0.
    const maxSlots = (boundary >> 11n) + 1n;
    const baseSlots = (tblDmaAddr + 2047n) >> 11n; // nr_slots(tbl_dma_addr)
    const baseSlotsModMax = baseSlots % maxSlots;
    geometry = {
      baseLow32: Number(tblDmaAddr & 0xffffffffn) | 0,
      baseSlotsModMax: Number(baseSlotsModMax),
      maxSlots: Number(maxSlots),
      // iommu_is_span_boundary(): ((base + index) & (max - 1)) + n > max. For index < capacity and
      // n ≤ 128 it is false whenever base % max + (capacity - 1) + 128 ≤ max (no wrap, no overflow).
      neverCrosses: baseSlotsModMax + BigInt(pool.capacity) + 127n <= maxSlots,
    };
    pool.geometryCache.set(device, geometry);
  }
  pool.cachedDevice = device;
  pool.cachedGeometry = geometry;
  return geometry;
}

/** Slots in use across the pool's areas (mem_pool_used()). */
export function poolUsed(pool: Pool): number {
  let used = 0;
  for (let a = 0; a < pool.nareas; a++) used += pool.areaUsed[a]!;
  return used;
}
