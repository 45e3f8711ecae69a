import type { MemoryLayout } from '../spec/names';

/** A range of guest RAM, [start, end). */
export interface RamRange {
  readonly start: bigint;
  readonly end: bigint;
}

const GiB = 1n << 30n;

/**
 * Where guest RAM lives (docs/engine-contract.md §2 `vm.layout`). Modelled layouts, not measured ones:
 * - `x86`: QEMU q35 — below 2.75 GiB all RAM is low; otherwise 2 GiB below the PCI hole and the
 *   rest remapped from 4 GiB (so RAM above 4 GiB exists and 32-bit devices are addressing limited);
 *   ZONE_DMA < 16 MiB, ZONE_DMA32 < 4 GiB.
 * - `arm-virt`: QEMU virt — RAM from 1 GiB.
 * - `flat`: RAM from 0 (s390, powerpc).
 */
export function ramRanges(layout: MemoryLayout, memoryBytes: bigint): readonly RamRange[] {
  if (layout === 'arm-virt') return [{ start: GiB, end: GiB + memoryBytes }];
  if (layout === 'flat') return [{ start: 0n, end: memoryBytes }];
  const lowMax = (11n * GiB) / 4n;
  if (memoryBytes < lowMax) return [{ start: 0n, end: memoryBytes }];
  return [
    { start: 0n, end: 2n * GiB },
    { start: 4n * GiB, end: 4n * GiB + memoryBytes - 2n * GiB },
  ];
}

/** One past the highest RAM byte (max_pfn << PAGE_SHIFT). */
export function ramEnd(layout: MemoryLayout, memoryBytes: bigint): bigint {
  const ranges = ramRanges(layout, memoryBytes);
  return ranges[ranges.length - 1]?.end ?? 0n;
}

/** True when [phys, phys + size) lies inside one RAM range. */
export function isRamRange(layout: MemoryLayout, memoryBytes: bigint, phys: bigint, size: bigint): boolean {
  return ramRanges(layout, memoryBytes).some((range) => phys >= range.start && phys + size <= range.end);
}

export function describeRam(layout: MemoryLayout, memoryBytes: bigint): string {
  return ramRanges(layout, memoryBytes)
    .map((range) => `0x${range.start.toString(16)}-0x${(range.end - 1n).toString(16)}`)
    .join(', ');
}
