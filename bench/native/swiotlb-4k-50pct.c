/*
 * Native baseline for the bench:engine case swiotlb-4k-50pct: the kernel's SWIOTLB slot allocator
 * (v6.10 rules, non-dynamic build, CONFIG_DEBUG_FS counters) written out in C with the kernel's
 * data layout, driven by the same workload and the same PRNG as bench/engine.bench.ts.
 *
 * Rendered in our own words from kernel/dma/swiotlb.c (v6.10): swiotlb_search_pool_area(),
 * swiotlb_find_slots() (non-dynamic), swiotlb_tbl_map_single(), swiotlb_release_slots(),
 * swiotlb_tbl_unmap_single(), inc_used_and_hiwater(), dec_used(). Left out, as in the JS model:
 * the area spinlocks (one thread, never contended), the bounce copies and the debug warnings.
 * Leaving the locks out makes this baseline faster than the kernel, so the ratio is conservative.
 *
 * Workload (must match steadyState() in bench/engine.bench.ts): 64 MiB pool at 0x80000000
 * (32,768 slots, 4 areas), device min_align_mask from argv (0 for this case), segment boundary
 * 0xffffffff. Map 8,192 4 KiB buffers with the CPU round-robin over 4 areas, then time `pairs`
 * rounds of "unmap live[floor(r * live / 2^32)], map a new 4 KiB buffer at orig 2^32 + (r >> 12) * 4096".
 * PRNG: xorshift32 (x ^= x << 13; x ^= x >> 17; x ^= x << 5), seed from argv.
 *
 * Output: one JSON line with pairs, CPU seconds (clock()), pairs per CPU-second and a checksum of
 * every bounce address the timed loop returned, so the bench can check both sides did the same work.
 *
 * Build: gcc -O2 -o swiotlb-4k-50pct swiotlb-4k-50pct.c
 * Run:   ./swiotlb-4k-50pct <pairs> <seed> <min_align_mask>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define IO_TLB_SHIFT 11
#define IO_TLB_SIZE (1u << IO_TLB_SHIFT)
#define IO_TLB_SEGSIZE 128
#define PAGE_SIZE 4096u
#define INVALID_PHYS_ADDR (~(uint64_t)0)
#define MAPPING_ERROR (~(uint64_t)0)

struct io_tlb_slot {
	uint64_t orig_addr; /* phys_addr_t */
	size_t alloc_size;
	unsigned short list;
	unsigned short pad_slots;
};

struct io_tlb_area {
	unsigned long used;
	unsigned int index;
};

struct io_tlb_pool {
	uint64_t start, end;
	unsigned long nslabs;
	unsigned int nareas;
	unsigned int area_nslabs;
	struct io_tlb_area *areas;
	struct io_tlb_slot *slots;
};

struct io_tlb_mem {
	struct io_tlb_pool defpool;
	unsigned long nslabs;
	unsigned long total_used, used_hiwater;
};

struct device {
	unsigned int min_align_mask;
	uint64_t seg_boundary_mask;
	struct io_tlb_mem *mem;
};

static inline unsigned long nr_slots(uint64_t val) { return (val + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT; }
static inline uint64_t slot_addr(uint64_t start, uint64_t idx) { return start + (idx << IO_TLB_SHIFT); }
static inline unsigned long get_max_slots(unsigned long mask) { return (mask >> IO_TLB_SHIFT) + 1; }
static inline unsigned int io_tlb_offset(unsigned int i) { return i & (IO_TLB_SEGSIZE - 1); }

static inline unsigned int wrap_area_index(const struct io_tlb_pool *pool, unsigned int index)
{
	return index >= pool->area_nslabs ? 0 : index;
}

/* The low bits of addr that the bounce buffer keeps: min_align_mask, within one slot unless the
 * caller's alignment mask allows more. */
static inline unsigned int align_offset(const struct device *dev, unsigned int align_mask, uint64_t addr)
{
	return addr & dev->min_align_mask & (align_mask | (IO_TLB_SIZE - 1));
}

/* include/linux/iommu-helper.h */
static inline int is_span_boundary(unsigned int index, unsigned int nr, unsigned long shift, unsigned long boundary_size)
{
	shift = (shift + index) & (boundary_size - 1);
	return shift + nr > boundary_size;
}

static void init_pool(struct io_tlb_pool *pool, uint64_t start, unsigned long nslabs, unsigned int nareas)
{
	pool->start = start;
	pool->end = start + (nslabs << IO_TLB_SHIFT);
	pool->nslabs = nslabs;
	pool->nareas = nareas;
	pool->area_nslabs = nslabs / nareas;
	pool->areas = calloc(nareas, sizeof(*pool->areas));
	pool->slots = calloc(nslabs, sizeof(*pool->slots));
	if (!pool->areas || !pool->slots) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (unsigned long i = 0; i < nslabs; i++) {
		unsigned long to_seg_end = IO_TLB_SEGSIZE - io_tlb_offset(i);
		pool->slots[i].list = to_seg_end < nslabs - i ? to_seg_end : nslabs - i;
		pool->slots[i].orig_addr = INVALID_PHYS_ADDR;
	}
}

/* Next-fit search of one area; allocates and returns the first slot, or -1. */
static int search_pool_area(struct device *dev, struct io_tlb_pool *pool, int area_index, uint64_t orig_addr, size_t alloc_size, unsigned int alloc_align_mask)
{
	struct io_tlb_area *area = pool->areas + area_index;
	unsigned long boundary_mask = dev->seg_boundary_mask;
	uint64_t tbl_dma_addr = pool->start & boundary_mask; /* phys_to_dma_unencrypted: identity here */
	unsigned long max_slots = get_max_slots(boundary_mask);
	unsigned int iotlb_align_mask = dev->min_align_mask;
	unsigned int nslots = nr_slots(alloc_size), stride;
	unsigned int offset = align_offset(dev, 0, orig_addr);
	unsigned int index, slots_checked, count = 0, i;
	unsigned int slot_base, slot_index;

	/* Legacy streaming callers without any mask keep page alignment for >= PAGE_SIZE. */
	if (!alloc_align_mask && !iotlb_align_mask && alloc_size >= PAGE_SIZE)
		alloc_align_mask = PAGE_SIZE - 1;
	alloc_align_mask |= IO_TLB_SIZE - 1;
	iotlb_align_mask &= ~alloc_align_mask;
	stride = get_max_slots(alloc_align_mask > iotlb_align_mask ? alloc_align_mask : iotlb_align_mask);

	if (nslots > pool->area_nslabs - area->used)
		return -1; /* cheap reject */

	slot_base = area_index * pool->area_nslabs;
	index = area->index;
	for (slots_checked = 0; slots_checked < pool->area_nslabs;) {
		uint64_t tlb_addr;

		slot_index = slot_base + index;
		tlb_addr = slot_addr(tbl_dma_addr, slot_index);
		if ((tlb_addr & alloc_align_mask) || (orig_addr && (tlb_addr & iotlb_align_mask) != (orig_addr & iotlb_align_mask))) {
			index = wrap_area_index(pool, index + 1);
			slots_checked++;
			continue;
		}
		if (!is_span_boundary(slot_index, nslots, nr_slots(tbl_dma_addr), max_slots) && pool->slots[slot_index].list >= nslots)
			goto found;
		index = wrap_area_index(pool, index + stride);
		slots_checked += stride;
	}
	return -1;

found:
	for (i = slot_index; i < slot_index + nslots; i++) {
		pool->slots[i].list = 0;
		pool->slots[i].alloc_size = alloc_size - (offset + ((i - slot_index) << IO_TLB_SHIFT));
	}
	for (i = slot_index - 1; io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 && pool->slots[i].list; i--)
		pool->slots[i].list = ++count;
	area->index = wrap_area_index(pool, index + nslots);
	area->used += nslots;
	/* inc_used_and_hiwater() */
	unsigned long used = dev->mem->total_used += nslots;
	if (used > dev->mem->used_hiwater)
		dev->mem->used_hiwater = used;
	return slot_index;
}

/* Non-dynamic swiotlb_find_slots(): the CPU's area first, then round robin. */
static int find_slots(struct device *dev, int cpu, uint64_t orig_addr, size_t alloc_size, unsigned int alloc_align_mask, struct io_tlb_pool **retpool)
{
	struct io_tlb_pool *pool = &dev->mem->defpool;
	int start, i, index;

	*retpool = pool;
	i = start = cpu & (pool->nareas - 1);
	do {
		index = search_pool_area(dev, pool, i, orig_addr, alloc_size, alloc_align_mask);
		if (index >= 0)
			return index;
		if (++i >= (int)pool->nareas)
			i = 0;
	} while (i != start);
	return -1;
}

static uint64_t tbl_map_single(struct device *dev, int cpu, uint64_t orig_addr, size_t mapping_size, unsigned int alloc_align_mask)
{
	struct io_tlb_pool *pool;
	unsigned int offset = align_offset(dev, alloc_align_mask, orig_addr);
	size_t size = (mapping_size + offset + alloc_align_mask) & ~(size_t)alloc_align_mask;
	int index = find_slots(dev, cpu, orig_addr, size, alloc_align_mask, &pool);
	unsigned short pad_slots;

	if (index == -1)
		return MAPPING_ERROR;
	pad_slots = offset >> IO_TLB_SHIFT;
	offset &= IO_TLB_SIZE - 1;
	index += pad_slots;
	pool->slots[index].pad_slots = pad_slots;
	for (unsigned int i = 0; i < nr_slots(size) - pad_slots; i++)
		pool->slots[index + i].orig_addr = slot_addr(orig_addr, i);
	return slot_addr(pool->start, index) + offset;
}

static void release_slots(struct device *dev, uint64_t tlb_addr)
{
	struct io_tlb_pool *pool = &dev->mem->defpool; /* swiotlb_find_pool(): the only pool */
	unsigned int offset = align_offset(dev, 0, tlb_addr);
	int index = (tlb_addr - offset - pool->start) >> IO_TLB_SHIFT;
	int nslots, aindex, count, i;

	index -= pool->slots[index].pad_slots;
	nslots = nr_slots(pool->slots[index].alloc_size + offset);
	aindex = index / pool->area_nslabs;
	if (index + nslots < (int)((index + 1 + IO_TLB_SEGSIZE - 1) & ~(IO_TLB_SEGSIZE - 1)))
		count = pool->slots[index + nslots].list;
	else
		count = 0;
	for (i = index + nslots - 1; i >= index; i--) {
		pool->slots[i].list = ++count;
		pool->slots[i].orig_addr = INVALID_PHYS_ADDR;
		pool->slots[i].alloc_size = 0;
		pool->slots[i].pad_slots = 0;
	}
	for (i = index - 1; io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 && pool->slots[i].list; i--)
		pool->slots[i].list = ++count;
	pool->areas[aindex].used -= nslots;
	dev->mem->total_used -= nslots; /* dec_used() */
}

static void tbl_unmap_single(struct device *dev, uint64_t tlb_addr)
{
	struct io_tlb_pool *pool = &dev->mem->defpool;

	if (tlb_addr < pool->start || tlb_addr >= pool->end) {
		fprintf(stderr, "unmap of 0x%llx outside the pool\n", (unsigned long long)tlb_addr);
		exit(1);
	}
	release_slots(dev, tlb_addr);
}

static inline uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s <pairs> <seed (non-zero)> <min_align_mask>\n", argv[0]);
		return 2;
	}
	long pairs = strtol(argv[1], NULL, 0);
	uint32_t rng = (uint32_t)strtoul(argv[2], NULL, 0);
	if (pairs <= 0 || rng == 0) {
		fprintf(stderr, "pairs must be positive and the seed non-zero\n");
		return 2;
	}
	static struct io_tlb_mem mem;
	struct device dev = { .min_align_mask = (unsigned int)strtoul(argv[3], NULL, 0), .seg_boundary_mask = 0xffffffffUL, .mem = &mem };
	const int fill = 8192;
	uint64_t *live = malloc(fill * sizeof(*live));
	int live_count = 0;
	unsigned int cpu = 0;
	uint32_t checksum = 0;
	long failed = 0;

	init_pool(&mem.defpool, 0x80000000ULL, 32768, 4);
	mem.nslabs = mem.defpool.nslabs;
	while (live_count < fill) {
		uint64_t orig = 0x100000000ULL + ((uint64_t)(xorshift32(&rng) >> 12) << 12);
		uint64_t tlb = tbl_map_single(&dev, cpu++ & 3, orig, 4096, 0);
		if (tlb == MAPPING_ERROR)
			break;
		live[live_count++] = tlb;
	}

	clock_t before = clock();
	for (long i = 0; i < pairs; i++) {
		/* floor(r * live / 2^32): multiply-shift, no division (the JS side does the same). */
		int victim = (int)(((uint64_t)xorshift32(&rng) * (uint32_t)live_count) >> 32);
		tbl_unmap_single(&dev, live[victim]);
		uint64_t orig = 0x100000000ULL + ((uint64_t)(xorshift32(&rng) >> 12) << 12);
		uint64_t tlb = tbl_map_single(&dev, cpu++ & 3, orig, 4096, 0);
		if (tlb != MAPPING_ERROR) {
			live[victim] = tlb;
			checksum = (checksum ^ (uint32_t)((tlb - mem.defpool.start) >> IO_TLB_SHIFT)) * 16777619u;
		} else {
			failed++;
			live[victim] = live[--live_count];
		}
	}
	double cpu_seconds = (double)(clock() - before) / CLOCKS_PER_SEC;
	printf("{\"pairs\":%ld,\"cpuSeconds\":%.6f,\"cpuPairsPerSec\":%.0f,\"checksum\":%u,\"failedMaps\":%ld,\"used\":%lu,\"hiwater\":%lu}\n",
	       pairs, cpu_seconds, pairs / cpu_seconds, checksum, failed, mem.total_used, mem.used_hiwater);
	return 0;
}
