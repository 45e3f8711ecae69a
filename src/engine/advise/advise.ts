import { runToReport as runScenario } from '../run-report';
import type { EngineReport } from '../report/report.types';
import type { NormalizedScenario } from '../spec/normalize';
import { validateScenario } from '../spec/validate';
import { IO_TLB_SEGSIZE, IO_TLB_SIZE } from '../swiotlb/constants';
import { swiotlbForceSuffix, withParam } from './cmdline';
import { searchSmallest, type SearchOutcome } from './search';

/**
 * `dmasim advise`: per kernel profile, the smallest `swiotlb=<slots>,<areas>` with no SWIOTLB
 * exhaustion (F1) and the smallest `coherent_pool=` with no atomic pool exhaustion (F7) on the
 * spec's workload, found by running the exact engine. Slots move in steps of IO_TLB_SEGSIZE (128):
 * setup_io_tlb_npages() rounds `swiotlb=` up to a multiple of it, so 128 slots is the finest size
 * the kernel can actually have.
 */
export interface AdviseOptions {
  /** Profiles or releases to advise for (default: the spec's own). */
  readonly profiles?: readonly string[];
  /** Time bound: `now()` in ms and a deadline; the search stops with `timedOut` when passed. */
  readonly now?: () => number;
  readonly deadlineMs?: number;
  /** Called after each engine run (for a progress line). */
  readonly onRun?: (what: string) => void;
}

export interface PoolAdvice {
  readonly param: 'swiotlb' | 'coherent_pool';
  /** Findings the search removes. */
  readonly failureClass: 'F1' | 'F7';
  /** Failures with the spec's own command line. */
  readonly failuresAsGiven: number;
  /** The value to put on the command line (null: none needed, or none found). */
  readonly value: string | null;
  readonly search: SearchOutcome;
  /** The size the kernel sets up for that value (slots, or bytes for coherent_pool): it may round up. */
  readonly effectiveSize: number | null;
  /** Memory the chosen pool costs: bytes set aside, and of those bytes shared with the host (decrypted). */
  readonly poolBytes: number | null;
  readonly decryptedBytes: number | null;
  /** Of poolBytes, the part that must come from memory below 4 GiB (scarce on large guests). */
  readonly lowMemoryBytes: number | null;
  /** At the chosen size: peak use and the unused part (slots for swiotlb, bytes for coherent_pool). */
  readonly peakUsed: number | null;
  readonly headroom: number | null;
  readonly note: string;
}

export interface ProfileAdvice {
  readonly profile: string;
  readonly swiotlb: PoolAdvice;
  readonly coherentPool: PoolAdvice;
  /** dual-swiotlb-pools overlay: the private pool has the shared pool's size. */
  readonly privatePoolBytes: number | null;
}

export type AdviseResult =
  { readonly ok: true; readonly advice: readonly ProfileAdvice[] } | { readonly ok: false; readonly error: string };

const count = (report: EngineReport, cls: string): number =>
  report.failures.filter((f) => f.class === cls).reduce((n, f) => n + f.count, 0);
const metric = (report: EngineReport, key: string): number => {
  const value = report.metrics[key];
  return typeof value === 'number' ? value : 0;
};

/** Runs the spec with another command line (re-validated: the cmdline and profile must stay legal). */
function runWith(spec: NormalizedScenario, profile: string, cmdline: string): EngineReport | string {
  const checked = validateScenario({ ...spec, kernel: { ...spec.kernel, profile, cmdline } });
  if (!checked.ok) return checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return runScenario(checked.spec);
}

export function advisePools(spec: NormalizedScenario, options: AdviseOptions = {}): AdviseResult {
  const profiles = options.profiles ?? [spec.kernel.profile];
  const advice: ProfileAdvice[] = [];
  for (const profile of profiles) {
    const base = runWith(spec, profile, spec.kernel.cmdline);
    if (typeof base === 'string') return { ok: false, error: `profile ${profile}: ${base}` };
    const swiotlb = adviseSwiotlb(spec, profile, base, options);
    if (typeof swiotlb === 'string') return { ok: false, error: swiotlb };
    const coherentPool = adviseCoherentPool(spec, profile, base, options);
    if (typeof coherentPool === 'string') return { ok: false, error: coherentPool };
    const dual = spec.kernel.overlays.some((o) => o.name === 'dual-swiotlb-pools');
    advice.push({ profile, swiotlb, coherentPool, privatePoolBytes: dual ? swiotlb.poolBytes : null });
  }
  return { ok: true, advice };
}

function adviseSwiotlb(
  spec: NormalizedScenario,
  profile: string,
  base: EngineReport,
  options: AdviseOptions,
): PoolAdvice | string {
  const areas = metric(base, 'swiotlb.nareas') || 1;
  const suffix = swiotlbForceSuffix(spec.kernel.cmdline);
  const asGiven = count(base, 'F1');
  const defaultSlots = metric(base, 'swiotlb.nslabs');
  let problem: string | null = null;
  const reports = new Map<number, EngineReport>();
  const fails = (segments: number): boolean => {
    const report = runWith(
      spec,
      profile,
      withParam(spec.kernel.cmdline, 'swiotlb', `${segments * IO_TLB_SEGSIZE},${areas}${suffix}`),
    );
    options.onRun?.(`${profile}: swiotlb=${segments * IO_TLB_SEGSIZE}`);
    if (typeof report === 'string') {
      problem = report;
      return false;
    }
    reports.set(segments, report);
    return count(report, 'F1') > 0;
  };
  // Bounded by guest RAM: a pool cannot be larger than the memory it is carved from.
  const maxSegments = Math.floor((spec.vm.memoryMiB * 1024 * 1024) / 2 / IO_TLB_SIZE / IO_TLB_SEGSIZE);
  const search = searchSmallest(fails, Math.max(1, Math.ceil(defaultSlots / IO_TLB_SEGSIZE)), maxSegments, options);
  if (problem !== null) return `profile ${profile}: ${problem}`;
  const chosen = search.smallest === null ? undefined : reports.get(search.smallest);
  const slots = search.smallest === null ? null : search.smallest * IO_TLB_SEGSIZE;
  // The pool the kernel really sets up: swiotlb_adjust_size() and friends may round the request up.
  const effectiveSlots = chosen ? metric(chosen, 'swiotlb.nslabs') : null;
  return {
    param: 'swiotlb',
    failureClass: 'F1',
    failuresAsGiven: asGiven,
    value: slots === null ? null : `${slots},${chosen ? metric(chosen, 'swiotlb.nareas') : areas}${suffix}`,
    search,
    effectiveSize: effectiveSlots,
    poolBytes: effectiveSlots === null ? null : effectiveSlots * IO_TLB_SIZE,
    decryptedBytes: effectiveSlots === null ? null : effectiveSlots * IO_TLB_SIZE,
    // swiotlb_memblock_alloc() uses memblock_alloc_low() unless SWIOTLB_ANY is set, and x86
    // pci_swiotlb_detect() sets only SWIOTLB_FORCE for CoCo guests: the boot pool is all low memory.
    lowMemoryBytes: effectiveSlots === null ? null : effectiveSlots * IO_TLB_SIZE,
    peakUsed: chosen ? metric(chosen, 'swiotlb.hiwater') : null,
    headroom: chosen && effectiveSlots !== null ? effectiveSlots - metric(chosen, 'swiotlb.hiwater') : null,
    note: swiotlbNote(search, defaultSlots),
  };
}

function swiotlbNote(search: SearchOutcome, defaultSlots: number): string {
  if (search.smallest === null)
    return search.timedOut
      ? 'time ran out before a size without F1 was found'
      : 'no pool size up to half of guest RAM removes F1 (requests too large or too many in flight)';
  const vsDefault = `default is ${defaultSlots} slots`;
  return search.monotone
    ? `bisection; sizes above the boundary checked (${vsDefault})`
    : `not monotone: ${search.nonMonotoneAt!.map((s) => s * IO_TLB_SEGSIZE).join(', ')} slots fail above the boundary (${vsDefault})`;
}

const KiB = 1024;

/** The GFP_DMA and GFP_DMA32 atomic pools live in their zones, below 4 GiB by definition. */
function lowPoolBytes(report: EngineReport): number {
  return metric(report, 'atomicPools.dma32.initialBytes') + metric(report, 'atomicPools.dma.initialBytes');
}

/** coherent_pool= sizes each of the three atomic pools; all of them are decrypted (shared). */
function allPoolBytes(report: EngineReport): number {
  return metric(report, 'atomicPools.kernel.initialBytes') + lowPoolBytes(report);
}

function adviseCoherentPool(
  spec: NormalizedScenario,
  profile: string,
  base: EngineReport,
  options: AdviseOptions,
): PoolAdvice | string {
  const asGiven = count(base, 'F7');
  const initial = metric(base, 'atomicPools.kernel.initialBytes');
  let problem: string | null = null;
  const reports = new Map<number, EngineReport>();
  // coherent_pool= sizes each atomic pool; searched in 4 KiB pages (the pool is page-granular).
  const fails = (pages: number): boolean => {
    const report = runWith(spec, profile, withParam(spec.kernel.cmdline, 'coherent_pool', `${pages * 4}K`));
    options.onRun?.(`${profile}: coherent_pool=${pages * 4}K`);
    if (typeof report === 'string') {
      problem = report;
      return false;
    }
    reports.set(pages, report);
    return count(report, 'F7') > 0;
  };
  if (asGiven === 0) {
    // Peak and headroom of the GFP_KERNEL pool, the one most atomic allocations use (as for a searched size).
    const peak = metric(base, 'atomicPools.kernel.usedBytesMax');
    const search: SearchOutcome = { smallest: null, runs: 0, monotone: true, nonMonotoneAt: null, timedOut: false };
    return {
      param: 'coherent_pool',
      failureClass: 'F7',
      failuresAsGiven: 0,
      value: null,
      search,
      effectiveSize: initial,
      poolBytes: allPoolBytes(base),
      decryptedBytes: allPoolBytes(base),
      lowMemoryBytes: lowPoolBytes(base),
      peakUsed: peak,
      headroom: initial - peak,
      note: 'no F7 with the default pools: nothing to change',
    };
  }
  const search = searchSmallest(
    fails,
    Math.max(1, Math.ceil(initial / (4 * KiB))),
    (spec.vm.memoryMiB * KiB) / 4 / 8,
    options,
  );
  if (problem !== null) return `profile ${profile}: ${problem}`;
  const chosen = search.smallest === null ? undefined : reports.get(search.smallest);
  const bytes = search.smallest === null ? null : search.smallest * 4 * KiB;
  const peak = chosen ? metric(chosen, 'atomicPools.kernel.usedBytesMax') : null;
  return {
    param: 'coherent_pool',
    failureClass: 'F7',
    failuresAsGiven: asGiven,
    value: bytes === null ? null : `${bytes / KiB}K`,
    search,
    effectiveSize: chosen ? metric(chosen, 'atomicPools.kernel.initialBytes') : null,
    poolBytes: chosen ? allPoolBytes(chosen) : null,
    decryptedBytes: chosen ? allPoolBytes(chosen) : null,
    lowMemoryBytes: chosen ? lowPoolBytes(chosen) : null,
    peakUsed: peak,
    headroom: bytes !== null && peak !== null ? bytes - peak : null,
    note:
      search.smallest === null
        ? 'no coherent_pool size removes F7'
        : search.monotone
          ? 'bisection; sizes above the boundary checked'
          : 'not monotone above the boundary',
  };
}
