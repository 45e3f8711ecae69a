import { invariant } from '../invariant';
import { IO_TLB_DEFAULT_SLOTS, IO_TLB_MIN_SLABS, IO_TLB_SEGSIZE, IO_TLB_SIZE } from './constants';

/** `swiotlb=` as the kernel parses it (setup_io_tlb_npages()). */
export interface SwiotlbCmdline {
  /** Slots asked for (already rounded up to 128), when the value starts with a digit. */
  readonly nslabs?: number;
  /** Areas asked for (raw; rounded to a power of two at use). */
  readonly nareas?: number;
  readonly force: boolean;
  readonly noforce: boolean;
  /** `swiotlb=` values whose tail setup_io_tlb_npages() ignored (e.g. `force,4`): the kernel boots, silently. */
  readonly ignored?: readonly string[];
}

/**
 * Parses the value of `swiotlb=` like setup_io_tlb_npages(): `[<nslabs>][,<nareas>][,force|noforce]`.
 * A number is taken when the text starts with a digit (so `swiotlb=0` asks for 0 slots, §5.11 item 2).
 */
export function parseSwiotlbParam(value: string): SwiotlbCmdline {
  let rest = value;
  let nslabs: number | undefined;
  let nareas: number | undefined;
  const leadingNumber = (text: string): [number, string] => {
    // simple_strtoul(s, &end, 0): "0x"/"0X" + hex digit → hex, leading 0 → octal, else decimal.
    const match = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(text)!;
    const token = match[1]!;
    const parsed = /^0[xX]/.test(token)
      ? parseInt(token.slice(2), 16)
      : token.length > 1 && token.startsWith('0')
        ? parseInt(token, 8)
        : parseInt(token, 10);
    return [parsed, text.slice(token.length)];
  };
  if (/^\d/.test(rest)) {
    const [slots, after] = leadingNumber(rest);
    nslabs = alignUp(slots, IO_TLB_SEGSIZE);
    rest = after;
  }
  if (rest.startsWith(',')) rest = rest.slice(1);
  if (/^\d/.test(rest)) {
    const [areas, after] = leadingNumber(rest);
    nareas = areas;
    rest = after;
  }
  if (rest.startsWith(',')) rest = rest.slice(1);
  // strcmp(str, "force") / strcmp(str, "noforce"): anything else left over is ignored without a word.
  const ignored = rest !== '' && rest !== 'force' && rest !== 'noforce';
  return {
    ...(nslabs === undefined ? {} : { nslabs }),
    ...(nareas === undefined ? {} : { nareas }),
    force: rest === 'force',
    noforce: rest === 'noforce',
    ...(ignored ? { ignored: [value] } : {}),
  };
}

/**
 * Applies every `swiotlb=` of a kernel command line in order, as early_param() calls
 * setup_io_tlb_npages() once per occurrence on the same globals: a later number replaces an earlier
 * one, `force` / `noforce` once set stay set (swiotlb_force_bounce, swiotlb_force_disable).
 */
export function swiotlbFromCmdline(cmdline: string): SwiotlbCmdline {
  const values = cmdline
    .split(/\s+/)
    .filter((word) => word.startsWith('swiotlb='))
    .map((word) => word.slice('swiotlb='.length));
  return values.reduce<SwiotlbCmdline>(
    (applied, value) => {
      const next = parseSwiotlbParam(value);
      const ignored = [...(applied.ignored ?? []), ...(next.ignored ?? [])];
      return {
        ...((next.nslabs ?? applied.nslabs) !== undefined ? { nslabs: (next.nslabs ?? applied.nslabs)! } : {}),
        ...((next.nareas ?? applied.nareas) !== undefined ? { nareas: (next.nareas ?? applied.nareas)! } : {}),
        force: applied.force || next.force,
        noforce: applied.noforce || next.noforce,
        ...(ignored.length > 0 ? { ignored } : {}),
      };
    },
    { force: false, noforce: false },
  );
}

/** The x86 CoCo rule (mem_encrypt_setup_arch()): 6 % of RAM clamped to [64 MiB, 1 GiB]. */
export function cocoSwiotlbBytes(totalRamBytes: number): number {
  const sixPercent = Math.floor((totalRamBytes * 6) / 100);
  return Math.min(Math.max(sixPercent, 64 * 1024 * 1024), 1024 * 1024 * 1024);
}

/** limit_nareas(): no more areas than 128-slot segments (`nslots / IO_TLB_SEGSIZE`, integer division). */
export function limitNareas(nareas: number, nslots: number): number {
  if (nslots < nareas * IO_TLB_SEGSIZE) return Math.floor(nslots / IO_TLB_SEGSIZE);
  return nareas;
}

export interface BootSizingInput {
  readonly cmdline: SwiotlbCmdline;
  /** Bytes the architecture asks for (swiotlb_adjust_size(), e.g. the CoCo 6 % rule), if any. */
  readonly archRequestedBytes?: number;
  /** Whether the architecture sets up SWIOTLB at all (x86: RAM > 4 GiB, SME host, CoCo guest). */
  readonly archWantsSwiotlb: boolean;
  /** num_possible_cpus(). */
  readonly possibleCpus: number;
  /** memblock_alloc_low() of this many bytes succeeds (default: always). */
  readonly canAllocate?: (bytes: number) => boolean;
}

export interface BootSizing {
  /** Slots of the default pool (0 when there is no pool). */
  readonly nslabs: number;
  readonly nareas: number;
  readonly areaSlots: number;
  /** Boot log lines, with the kernel's wording. */
  readonly log: readonly string[];
}

const nextPowerOfTwo = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));
const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/**
 * The default pool's size and areas at boot (docs/kernel-dma.md §5.3): `swiotlb=`, swiotlb_adjust_size(),
 * swiotlb_adjust_nareas() / round_up_default_nslabs(), limit_nareas() and halving on allocation
 * failure down to IO_TLB_MIN_SLABS.
 */
export function bootSizing(input: BootSizingInput): BootSizing {
  const log: string[] = [];
  let defaultSlots = IO_TLB_DEFAULT_SLOTS;
  let defaultAreas = 0;

  const roundUpDefaultNslabs = (): boolean => {
    if (!defaultAreas) return false;
    if (defaultSlots < IO_TLB_SEGSIZE * defaultAreas) defaultSlots = IO_TLB_SEGSIZE * defaultAreas;
    else if (isPowerOfTwo(defaultSlots)) return false;
    defaultSlots = nextPowerOfTwo(defaultSlots);
    return true;
  };
  const adjustNareas = (nareas: number): void => {
    defaultAreas = nareas === 0 ? 1 : isPowerOfTwo(nareas) ? nareas : nextPowerOfTwo(nareas);
    log.push(`area num ${defaultAreas}.`);
    if (roundUpDefaultNslabs())
      log.push(`SWIOTLB bounce buffer size roundup to ${Math.floor((defaultSlots * IO_TLB_SIZE) / 2 ** 20)}MB`); // unsigned long in the kernel: no 32-bit wrap
  };

  if (input.cmdline.nslabs !== undefined) defaultSlots = input.cmdline.nslabs;
  if (input.cmdline.nareas !== undefined) adjustNareas(input.cmdline.nareas);
  // swiotlb_adjust_size(): only while the size is still the 64 MiB default.
  if (input.archRequestedBytes !== undefined && defaultSlots === IO_TLB_DEFAULT_SLOTS) {
    let sizeBytes = alignUp(input.archRequestedBytes, IO_TLB_SIZE);
    defaultSlots = alignUp(sizeBytes / IO_TLB_SIZE, IO_TLB_SEGSIZE);
    if (roundUpDefaultNslabs()) sizeBytes = defaultSlots * IO_TLB_SIZE;
    log.push(`SWIOTLB bounce buffer size adjusted to ${Math.floor(sizeBytes / 2 ** 20)}MB`);
  }
  if (input.cmdline.noforce || (!input.archWantsSwiotlb && !input.cmdline.force))
    return { nslabs: 0, nareas: 0, areaSlots: 0, log };
  if (!defaultAreas) adjustNareas(input.possibleCpus);

  let nslabs = defaultSlots;
  let nareas = limitNareas(defaultAreas, nslabs);
  const canAllocate = input.canAllocate ?? (() => true);
  while (!canAllocate(nslabs * IO_TLB_SIZE)) {
    if (nslabs <= IO_TLB_MIN_SLABS)
      return { nslabs: 0, nareas: 0, areaSlots: 0, log: [...log, 'swiotlb: Cannot allocate buffer'] };
    nslabs = alignUp(nslabs >> 1, IO_TLB_SEGSIZE);
    nareas = limitNareas(nareas, nslabs);
  }
  invariant(nareas >= 1, `no areas for ${nslabs} slots`);
  if (nslabs !== defaultSlots) log.push(`SWIOTLB bounce buffer size adjusted ${defaultSlots} -> ${nslabs} slabs`);
  return { nslabs, nareas, areaSlots: Math.floor(nslabs / nareas), log };
}
