/**
 * The one verdict model (pure): what a run's findings mean for a reader, as ordered levels and the
 * counts behind them. Every consumer (the CLI, the API's Run.verdict, exports, CI gates, the
 * dashboard's badges) reads these levels; nothing re-derives a verdict from findings elsewhere.
 *
 * Levels, worst first:
 * - `exposes-secrets`: a critical violation (secret bytes reached host-visible memory);
 * - `exposes-data`: a high-severity violation (sensitive, stale or unclassified bytes);
 * - `failing`: a failure above info (a map, allocation or conversion the kernel could not do);
 * - `degraded`: info-severity failures only (F15 performance cliffs: forced bounce copies, splits);
 * - `clean`: none of the above (info violations such as by-design shared buffers do not count).
 * Every level that applies is listed, so a run that leaks secrets and fails maps is both.
 */
import type { Severity, Verdict } from './report.types';

/** Verdict levels, worst first. */
export const verdictLevels: readonly Verdict[] = ['exposes-secrets', 'exposes-data', 'failing', 'degraded', 'clean'];

/** Severities, worst first. */
export const severityLevels: readonly Severity[] = ['critical', 'high', 'info'];

export interface VerdictSummary {
  /** The worst level that applies. */
  readonly verdict: Verdict;
  /** Every level that applies, worst first; `['clean']` when none does. */
  readonly levels: readonly Verdict[];
  /** Findings (violations and failures) per severity. */
  readonly bySeverity: Readonly<Record<Severity, number>>;
  /** Operations affected per class (the sum of the findings' counts), classes in V0…V9, F1…F16 order. */
  readonly byClass: Readonly<Record<string, number>>;
  /** Operations that failed (the counts of failures above info). */
  readonly failedOperations: number;
  /** Bytes that reached host-visible memory, over all violations. */
  readonly bytesExposed: number;
}

const classOrder = (a: string, b: string): number =>
  (a.startsWith('V') ? 0 : 1) - (b.startsWith('V') ? 0 : 1) || Number(a.slice(1)) - Number(b.slice(1));

/** The verdict levels and counts of a set of findings. */
export function summarizeFindings(
  violations: readonly {
    readonly class: string;
    readonly severity: Severity;
    readonly count: number;
    readonly bytesExposed: number;
  }[],
  failures: readonly { readonly class: string; readonly severity: Severity; readonly count: number }[],
): VerdictSummary {
  const applies: Record<Verdict, boolean> = {
    'exposes-secrets': violations.some((v) => v.severity === 'critical'),
    'exposes-data': violations.some((v) => v.severity === 'high'),
    failing: failures.some((f) => f.severity !== 'info'),
    degraded: failures.some((f) => f.severity === 'info'),
    clean: false,
  };
  const found = verdictLevels.filter((level) => applies[level]);
  const levels = found.length > 0 ? found : (['clean'] as const);
  const bySeverity: Record<Severity, number> = { critical: 0, high: 0, info: 0 };
  const byClass = new Map<string, number>();
  for (const f of [...violations, ...failures]) {
    bySeverity[f.severity] += 1;
    byClass.set(f.class, (byClass.get(f.class) ?? 0) + f.count);
  }
  return {
    verdict: levels[0] ?? 'clean',
    levels,
    bySeverity,
    byClass: Object.fromEntries([...byClass].sort(([a], [b]) => classOrder(a, b))),
    failedOperations: failures.filter((f) => f.severity !== 'info').reduce((sum, f) => sum + f.count, 0),
    bytesExposed: violations.reduce((sum, v) => sum + v.bytesExposed, 0),
  };
}

/**
 * A CI gate (`--fail-on`): severities (a severity matches findings at or above it), class ids
 * (V0–V9, F1–F16) and verdict levels. A run fails the gate when any finding or level matches.
 */
export interface FindingGate {
  /** The lowest severity that fails, or null. */
  readonly severity: Severity | null;
  readonly classes: readonly string[];
  readonly levels: readonly Verdict[];
}

export type GateParse =
  { readonly ok: true; readonly gate: FindingGate } | { readonly ok: false; readonly error: string };

/** Parses a comma-separated gate such as `high`, `critical,F5` or `exposes-data,failing`. */
export function parseFindingGate(text: string): GateParse {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0)
    return { ok: false, error: 'give at least one severity (critical, high, info), class (V1, F5…) or verdict level' };
  let severity: Severity | null = null;
  const classes: string[] = [];
  const levels: Verdict[] = [];
  for (const item of items) {
    const lower = item.toLowerCase();
    if ((severityLevels as readonly string[]).includes(lower)) {
      const s = lower as Severity;
      if (severity === null || severityLevels.indexOf(s) > severityLevels.indexOf(severity)) severity = s;
    } else if (/^[VvFf]\d{1,2}$/.test(item)) {
      const id = item.toUpperCase();
      const n = Number(id.slice(1));
      if ((id.startsWith('V') && n > 9) || (id.startsWith('F') && (n < 1 || n > 16)))
        return { ok: false, error: `${item}: no such class (violations V0–V9, failures F1–F16)` };
      classes.push(id);
    } else if ((verdictLevels as readonly string[]).includes(lower) && lower !== 'clean') {
      levels.push(lower as Verdict);
    } else {
      return {
        ok: false,
        error: `${item}: not a severity (critical, high, info), a class (V0–V9, F1–F16) or a verdict level (${verdictLevels
          .filter((l) => l !== 'clean')
          .join(', ')})`,
      };
    }
  }
  return { ok: true, gate: { severity, classes, levels } };
}

/** True when a finding of this class and severity meets the gate. */
export function findingMeetsGate(
  gate: FindingGate,
  finding: { readonly class: string; readonly severity: string },
): boolean {
  if (gate.classes.includes(finding.class)) return true;
  if (gate.severity === null) return false;
  const rank = severityLevels.indexOf(finding.severity as Severity);
  return rank >= 0 && rank <= severityLevels.indexOf(gate.severity);
}

/** True when the run fails the gate: a finding meets it, or one of its verdict levels is gated. */
export function summaryMeetsGate(
  gate: FindingGate,
  levels: readonly string[],
  findings: readonly { readonly class: string; readonly severity: string }[],
): boolean {
  return gate.levels.some((l) => levels.includes(l)) || findings.some((f) => findingMeetsGate(gate, f));
}
