/**
 * The reviewer's answer for a proposed kernel change (`dmasim review`), pure: one scenario's report
 * under the base kernel and under the patched kernel, paired by the one comparison (compare.ts), as
 * exposures fixed, exposures left, new exposures, new failures, memory and modelled time cost, and a
 * one-sentence verdict. `probes` are optional extra reports of the patched kernel with one more
 * hunk switched on; an exposure left in the patched report but absent from a probe names that hunk.
 */
import { invariant } from '../invariant';
import { activeHunks } from '../overlays/index';
import type { EngineReport, MetricValue } from '../report/report.types';
import { formatBytes, formatCount } from '../report/markdown';
import type { KernelEntry } from '../spec/kernel-entry';
import { type NormalizedOverlay, normalizeOverlay } from '../spec/normalize';
import { overlayHunkIds } from '../spec/overlay-hunks';
import { compareResultSets, exposureKey } from './compare';
import { reportResultSet } from './matrix';

/** A violation of one side (fixed: the base's; left and new: the patched kernel's). */
export interface ReviewExposure {
  readonly class: string;
  readonly deviceId: string;
  readonly dataClass: string;
  readonly severity: string;
  readonly count: number;
  readonly bytesExposed: number;
  /** The kernel path and rule that (still) leaks. */
  readonly path: string;
  readonly rule: string;
  /** Hunks that, each switched on alone in the patched kernel, remove this exposure (left exposures only; empty when none is known). */
  readonly hunksNeeded: readonly string[];
}

/** A failure the patched kernel adds (a new finding, or the growth of one the base had). */
export interface ReviewFailure {
  readonly class: string;
  readonly deviceId: string;
  readonly severity: string;
  /** Operations that newly fail. */
  readonly count: number;
  readonly kernelLogLine: string | null;
}

/** One metric under both kernels; delta is patched − base (null when either is missing or not a number). */
export interface ReviewCost {
  readonly key: string;
  readonly base: MetricValue | null;
  readonly patched: MetricValue | null;
  readonly delta: number | null;
}

/** A report of one hunk switched on in addition to the patched kernel's. */
export interface ReviewProbe {
  readonly hunk: string;
  readonly report: EngineReport;
}

/** A scenario the review could not run under both kernels (an overlay that does not apply to its platform, a failed run). */
export interface ReviewSkipped {
  readonly scenario: string;
  readonly reason: string;
}

/** The patched kernel with one more hunk switched on, per hunk its overlays have but do not use. */
export function reviewProbeKernels(patched: KernelEntry): { hunk: string; overlays: NormalizedOverlay[] }[] {
  return patched.overlays.flatMap((overlay, index) => {
    if (overlay.variant === null) return [];
    const active = activeHunks(overlay);
    return overlayHunkIds[overlay.name]
      .filter((hunk) => !active.includes(hunk))
      .map((hunk) => {
        const overlays = [...patched.overlays];
        // The hunks already switched on stay on (posted+force-bounce-off probes posted+force-bounce-off+…).
        overlays[index] = normalizeOverlay({ name: overlay.name, variant: overlay.variant, hunks: [...active, hunk] });
        return { hunk, overlays };
      });
  });
}

export interface ScenarioReview {
  readonly scenario: string;
  readonly baseVerdict: string;
  readonly patchedVerdict: string;
  readonly fixed: readonly ReviewExposure[];
  readonly left: readonly ReviewExposure[];
  readonly newExposures: readonly ReviewExposure[];
  readonly newFailures: readonly ReviewFailure[];
  readonly memory: readonly ReviewCost[];
  readonly time: ReviewCost;
  /** False when the patch changes nothing here: no finding fixed, new or failing, no cost, no hunk that would help. */
  readonly affected: boolean;
  readonly verdict: string;
}

export interface ReviewTotals {
  readonly scenarios: number;
  /** Scenarios the patch changes nothing in (their left exposures still count in `left`). */
  readonly unaffected: number;
  readonly fixed: number;
  readonly left: number;
  readonly newExposures: number;
  /** Newly failing operations over all scenarios. */
  readonly newFailedOperations: number;
  readonly memory: readonly ReviewCost[];
  readonly time: ReviewCost;
  readonly verdict: string;
}

/** Memory metrics a patch may cost: decrypted memory, private/extra pools, slot metadata, low memory. */
export const reviewMemoryKeys: readonly string[] = [
  'memory.decryptedBytes',
  'swiotlb.private.nslabs',
  'swiotlb.private.slotMetadataBytes',
  'swiotlb.poolsGrown',
  'swiotlb.transientPoolsCreated',
  'swiotlb.slotMetadataBytes',
  'memory.lowBytesConsumed',
];

/** A metric only one kernel has (a private pool the base lacks) counts as 0 on the other side. */
const costOf = (key: string, base: EngineReport, patched: EngineReport): ReviewCost => {
  const b = base.metrics[key] ?? (typeof patched.metrics[key] === 'number' ? 0 : null);
  const p = patched.metrics[key] ?? (typeof base.metrics[key] === 'number' ? 0 : null);
  return { key, base: b, patched: p, delta: typeof b === 'number' && typeof p === 'number' ? p - b : null };
};

function exposure(report: EngineReport, fingerprint: string, hunksNeeded: readonly string[] = []): ReviewExposure {
  const v = report.violations.find((x) => x.fingerprint === fingerprint);
  // compare.ts pairs only the findings it was given.
  invariant(v !== undefined, `review: violation ${fingerprint} not in its report`);
  return {
    class: v.class,
    deviceId: v.deviceId,
    dataClass: v.dataClass,
    severity: v.severity,
    count: v.count,
    bytesExposed: v.bytesExposed,
    path: v.path,
    rule: v.rule,
    hunksNeeded,
  };
}

const devicesOf = (list: readonly { deviceId: string }[]): string[] => [...new Set(list.map((x) => x.deviceId))].sort();

/** "fixes the leak for storvsc0, breaks nvme0: 9,958 × F5" — one sentence over the scenario's (or all) findings. */
export function reviewSentence(
  fixed: readonly ReviewExposure[],
  left: readonly ReviewExposure[],
  newExposures: readonly ReviewExposure[],
  newFailures: readonly ReviewFailure[],
): string {
  const parts: string[] = [];
  const fixedOnly = devicesOf(fixed).filter((d) => !left.some((l) => l.deviceId === d));
  if (fixedOnly.length > 0) parts.push(`fixes the leak for ${fixedOnly.join(', ')}`);
  for (const device of devicesOf(left)) {
    const mine = left.filter((l) => l.deviceId === device);
    const classes = [...new Set(mine.map((l) => l.class))].join('/');
    const rules = [...new Set(mine.map((l) => l.rule))].join('/');
    const hunks = [...new Set(mine.flatMap((l) => l.hunksNeeded))];
    parts.push(
      `leaves the ${classes} leak for ${device} (rule ${rules}${hunks.length > 0 ? `; needs ${hunks.join(' or ')}` : ''})`,
    );
  }
  for (const device of devicesOf(newExposures)) {
    const classes = [...new Set(newExposures.filter((e) => e.deviceId === device).map((e) => e.class))].join('/');
    parts.push(`opens a new ${classes} leak for ${device}`);
  }
  for (const device of devicesOf(newFailures)) {
    const mine = newFailures.filter((f) => f.deviceId === device);
    const byClass = new Map<string, number>();
    for (const f of mine) byClass.set(f.class, (byClass.get(f.class) ?? 0) + f.count);
    parts.push(`breaks ${device}: ${[...byClass].map(([id, n]) => `${formatCount(n)} × ${id}`).join(', ')}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'no change in findings';
}

/** One scenario under the base and the patched kernel. */
export function reviewScenario(
  scenario: string,
  base: EngineReport,
  patched: EngineReport,
  probes: readonly ReviewProbe[] = [],
): ScenarioReview {
  const [column] = compareResultSets(reportResultSet('base', base), [reportResultSet('patched', patched)]);
  const fixed: ReviewExposure[] = [];
  const left: ReviewExposure[] = [];
  const newExposures: ReviewExposure[] = [];
  const newFailures: ReviewFailure[] = [];
  for (const f of column?.findings ?? []) {
    const isViolation = (f.candidate ?? f.baseline)?.dataClass !== null;
    if (isViolation) {
      if (f.status === 'fixed' && f.baseline) fixed.push(exposure(base, f.baseline.fingerprint));
      else if ((f.status === 'new' || f.status === 'reopened') && f.candidate)
        newExposures.push(exposure(patched, f.candidate.fingerprint));
      else if (f.candidate) {
        const key = f.exposureKey;
        const hunks = probes
          .filter((p) => !reportResultSet(p.hunk, p.report).findings.some((x) => exposureKey(x) === key))
          .map((p) => p.hunk);
        left.push(exposure(patched, f.candidate.fingerprint, hunks));
      }
      continue;
    }
    if (!f.candidate) continue;
    const grownBy = Number(f.candidate.count) - (f.baseline ? Number(f.baseline.count) : 0);
    if (grownBy <= 0) continue;
    const failure = patched.failures.find((x) => x.fingerprint === f.candidate?.fingerprint);
    newFailures.push({
      class: f.candidate.class,
      deviceId: f.candidate.deviceId,
      severity: f.candidate.severity,
      count: grownBy,
      kernelLogLine: failure?.kernelLogLine ?? null,
    });
  }
  const memory = reviewMemoryKeys
    .filter((k) => k in base.metrics || k in patched.metrics)
    .map((k) => costOf(k, base, patched));
  const time = costOf('cost.totalNs', base, patched);
  const affected =
    fixed.length > 0 ||
    newExposures.length > 0 ||
    newFailures.length > 0 ||
    left.some((e) => e.hunksNeeded.length > 0) ||
    [...memory, time].some((c) => c.delta !== null && c.delta !== 0);
  return {
    scenario,
    baseVerdict: base.summary.verdict,
    patchedVerdict: patched.summary.verdict,
    fixed,
    left,
    newExposures,
    newFailures,
    memory,
    time,
    affected,
    verdict: affected ? reviewSentence(fixed, left, newExposures, newFailures) : 'unaffected by the patch',
  };
}

const sumCosts = (key: string, costs: readonly (ReviewCost | undefined)[]): ReviewCost => {
  const known = costs.filter((c): c is ReviewCost => c !== undefined);
  const num = (v: MetricValue | null): number => (typeof v === 'number' ? v : 0);
  return {
    key,
    base: known.reduce((s, c) => s + num(c.base), 0),
    patched: known.reduce((s, c) => s + num(c.patched), 0),
    delta: known.every((c) => c.delta !== null) ? known.reduce((s, c) => s + (c.delta ?? 0), 0) : null,
  };
};

/** The totals over every reviewed scenario (devices of different scenarios are named together). */
export function reviewTotals(reviews: readonly ScenarioReview[]): ReviewTotals {
  const all = <T>(pick: (r: ScenarioReview) => readonly T[]): T[] => reviews.flatMap(pick);
  const affected = reviews.filter((r) => r.affected);
  const unaffected = reviews.length - affected.length;
  const memoryKeys = reviewMemoryKeys.filter((k) => reviews.some((r) => r.memory.some((m) => m.key === k)));
  return {
    scenarios: reviews.length,
    unaffected,
    fixed: all((r) => r.fixed).length,
    left: all((r) => r.left).length,
    newExposures: all((r) => r.newExposures).length,
    newFailedOperations: all((r) => r.newFailures).reduce((s, f) => s + f.count, 0),
    memory: memoryKeys.map((k) =>
      sumCosts(
        k,
        reviews.map((r) => r.memory.find((m) => m.key === k)),
      ),
    ),
    time: sumCosts(
      'cost.totalNs',
      reviews.map((r) => r.time),
    ),
    // The sentence speaks of the scenarios the patch touches; leaks it does not touch are only counted.
    verdict: [
      ...(affected.length > 0
        ? [
            reviewSentence(
              affected.flatMap((r) => r.fixed),
              affected.flatMap((r) => r.left),
              affected.flatMap((r) => r.newExposures),
              affected.flatMap((r) => r.newFailures),
            ),
          ]
        : []),
      ...(unaffected > 0 ? [`${unaffected} scenario(s) unaffected`] : []),
    ].join('; '),
  };
}

/** A signed delta in the metric's unit: "+1.0 MiB", "−4.2 ms", "±0". */
export function formatReviewDelta(key: string, delta: number | null): string {
  if (delta === null) return '–';
  if (delta === 0) return '±0';
  const sign = delta > 0 ? '+' : '−';
  const size = Math.abs(delta);
  if (/Bytes/.test(key)) return `${sign}${formatBytes(size)}`;
  if (/Ns$/.test(key))
    return size >= 1e6 ? `${sign}${(size / 1e6).toFixed(3)} ms` : `${sign}${(size / 1e3).toFixed(1)} µs`;
  return `${sign}${formatCount(size)}`;
}
