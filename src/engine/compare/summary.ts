/**
 * The one-line summary of one compared column (pure), shared by every consumer of the comparison:
 * "vs v7.2: fixed 5, new 0, moved 0, failures +9,958 F5". Counts come from the paired findings;
 * failure deltas are the change of operations per failure class (F1–F16), candidate − baseline.
 */
import type { ComparableFinding, ComparedFinding, FindingStatus } from './compare';

export type StatusCounts = Readonly<Record<FindingStatus, number>>;

/** How many findings of a column have each status. */
export function countStatuses(findings: readonly Pick<ComparedFinding, 'status'>[]): StatusCounts {
  const counts: Record<FindingStatus, number> = { new: 0, fixed: 0, moved: 0, reopened: 0, persisting: 0 };
  for (const f of findings) counts[f.status] += 1;
  return counts;
}

/** A change of affected operations of one class, candidate − baseline (never zero). */
export interface ClassDelta {
  readonly class: string;
  readonly delta: number;
}

const classRank = (id: string): number => (id.startsWith('V') ? 0 : 100) + Number(id.slice(1));

/** Per class, the change of operations between two `class → operations` maps (a report summary's byClass); zero changes are left out. */
export function classDeltas(
  baseline: Readonly<Record<string, number>>,
  candidate: Readonly<Record<string, number>>,
): ClassDelta[] {
  const ids = [...new Set([...Object.keys(baseline), ...Object.keys(candidate)])].sort(
    (a, b) => classRank(a) - classRank(b),
  );
  return ids
    .map((id) => ({ class: id, delta: (candidate[id] ?? 0) - (baseline[id] ?? 0) }))
    .filter((d) => d.delta !== 0);
}

/** Per class, the change of operations over the paired findings themselves (both sides' counts). */
export function findingClassDeltas(findings: readonly ComparedFinding<ComparableFinding>[]): ClassDelta[] {
  const before: Record<string, number> = {};
  const after: Record<string, number> = {};
  for (const f of findings) {
    if (f.baseline) before[f.baseline.class] = (before[f.baseline.class] ?? 0) + Number(f.baseline.count);
    if (f.candidate) after[f.candidate.class] = (after[f.candidate.class] ?? 0) + Number(f.candidate.count);
  }
  return classDeltas(before, after);
}

const signed = (n: number): string => `${n > 0 ? '+' : '−'}${Math.abs(n).toLocaleString('en-US')}`;

/**
 * "vs v7.2: fixed 5, new 0, moved 0, failures +9,958 F5": fixed, new and moved always; reopened
 * when any; failures as signed operation deltas per failure class (`failures ±0` when none changed).
 */
export function comparisonLine(baselineLabel: string, counts: StatusCounts, deltas: readonly ClassDelta[]): string {
  const failures = deltas.filter((d) => d.class.startsWith('F'));
  return [
    `vs ${baselineLabel}: fixed ${counts.fixed}`,
    `new ${counts.new}`,
    ...(counts.reopened > 0 ? [`reopened ${counts.reopened}`] : []),
    `moved ${counts.moved}`,
    failures.length === 0
      ? 'failures ±0'
      : `failures ${failures.map((d) => `${signed(d.delta)} ${d.class}`).join(' ')}`,
  ].join(', ');
}

/** One line per finding that changed (new, reopened, moved, fixed; persisting ones are left out), e.g. "moved V1 storvsc0 secret critical: A4 → B5". */
export function changedFindingLines(findings: readonly ComparedFinding<ComparableFinding>[]): string[] {
  return findings.flatMap((f) => {
    if (f.status === 'persisting') return [];
    const any = (f.candidate ?? f.baseline)!;
    const what = `${any.class} ${any.deviceId}${any.dataClass === null ? '' : ` ${any.dataClass}`} ${any.severity}`;
    const rule = (x: ComparableFinding | null): string => (x ? x.rule : '–');
    if (f.status === 'moved') return [`moved ${what}: ${rule(f.baseline)} → ${rule(f.candidate)}`];
    return [`${f.status} ${what} (${rule(f.candidate ?? f.baseline)})`];
  });
}
