/**
 * The one comparison of result sets (pure): findings of a candidate against a baseline, paired
 * first by fingerprint and then by exposure, and metric deltas with a direction. Every consumer
 * (suite regressions, run-vs-run, matrix batches, `dmasim run --matrix`) builds on this module;
 * verdicts, waivers and thresholds stay with the consumer.
 *
 * Fingerprints name the kernel path and rule (and platform), so a kernel change that reaches the
 * same leak another way renames the fingerprint. The exposure key (class, device, data class,
 * severity) is what leaks where: a candidate-only finding paired with a baseline-only finding of
 * the same exposure is `moved`, not one `new` plus one `fixed`.
 */
import { invariant } from '../invariant';
import { compareDecimal, type Decimal, formatDecimal, parseDecimal, subtract } from './decimal';
import { type MetricDirection, metricDirection } from './metric-direction';

/** A finding as every result set carries it (a stored violation, an engine report's violation or failure). */
export interface ComparableFinding {
  readonly fingerprint: string;
  readonly class: string;
  readonly deviceId: string;
  /** Null for failures (they expose no data). */
  readonly dataClass: string | null;
  readonly severity: string;
  readonly path: string | null;
  readonly rule: string;
  readonly count: bigint | number;
  readonly bytesExposed: bigint | number;
}

/** One result set: its findings and its metrics (numbers, or decimal text for bigint counters). */
export interface ResultSet<F extends ComparableFinding = ComparableFinding> {
  readonly label: string;
  readonly findings: readonly F[];
  readonly metrics: Readonly<Record<string, number | string | null | undefined>>;
}

/**
 * new: only the candidate has it; fixed: only the baseline has it; persisting: same fingerprint in
 * both; reopened: new, but the caller's history (triage FIXED, seen in older runs) says it was
 * fixed before; moved: the same exposure through a different path or rule.
 */
export type FindingStatus = 'new' | 'fixed' | 'persisting' | 'reopened' | 'moved';

export interface ComparedFinding<F extends ComparableFinding = ComparableFinding> {
  readonly status: FindingStatus;
  /** class|device|dataClass|severity. */
  readonly exposureKey: string;
  readonly baseline: F | null;
  readonly candidate: F | null;
  /** Persisting or moved findings whose count or bytes exposed grew. */
  readonly grew: boolean;
}

export interface MetricDelta {
  readonly key: string;
  readonly baseline: string | null;
  readonly candidate: string | null;
  /** Exact candidate − baseline, or null when either side is missing or not a number. */
  readonly delta: string | null;
  readonly direction: MetricDirection;
}

export interface CompareOptions {
  /** True when a candidate-only fingerprint was fixed before (triage state, older runs): it is `reopened`, not `new`. */
  readonly wasFixedBefore?: (fingerprint: string) => boolean;
}

/** One candidate column against the baseline. */
export interface ColumnComparison<F extends ComparableFinding = ComparableFinding> {
  readonly label: string;
  readonly findings: readonly ComparedFinding<F>[];
  readonly metrics: readonly MetricDelta[];
}

export function exposureKey(finding: Pick<ComparableFinding, 'class' | 'deviceId' | 'dataClass' | 'severity'>): string {
  return `${finding.class}|${finding.deviceId}|${finding.severity}|${finding.dataClass ?? ''}`;
}

const grewFrom = (before: ComparableFinding, after: ComparableFinding): boolean =>
  BigInt(after.count) > BigInt(before.count) || BigInt(after.bytesExposed) > BigInt(before.bytesExposed);

/**
 * Pairs candidate findings with baseline findings: by fingerprint, then by exposure with the same
 * path and rule (persisting), then by exposure alone (moved), one to one, first come. Order: the
 * candidate's findings in its order, then fixed ones in baseline order.
 */
export function compareFindings<F extends ComparableFinding>(
  baseline: readonly F[],
  candidate: readonly F[],
  options: CompareOptions = {},
): ComparedFinding<F>[] {
  const before = new Map(baseline.map((f) => [f.fingerprint, f]));
  const after = new Set(candidate.map((f) => f.fingerprint));
  const gone = baseline.filter((f) => !after.has(f.fingerprint));
  const goneByExposure = new Map<string, F[]>();
  for (const f of gone) goneByExposure.set(exposureKey(f), [...(goneByExposure.get(exposureKey(f)) ?? []), f]);
  const movedFrom = new Set<string>();
  const result: ComparedFinding<F>[] = candidate.map((f) => {
    const old = before.get(f.fingerprint);
    if (old)
      return { status: 'persisting', exposureKey: exposureKey(f), baseline: old, candidate: f, grew: grewFrom(old, f) };
    // Fingerprints also name the platform and profile: the same exposure through the same path and
    // rule under another kernel persists; through another path or rule it moved.
    const sameExposure = goneByExposure.get(exposureKey(f)) ?? [];
    const samePath = sameExposure.findIndex((g) => g.path === f.path && g.rule === f.rule);
    const partner = sameExposure.splice(samePath >= 0 ? samePath : 0, 1)[0];
    if (partner) {
      movedFrom.add(partner.fingerprint);
      return {
        status: samePath >= 0 ? 'persisting' : 'moved',
        exposureKey: exposureKey(f),
        baseline: partner,
        candidate: f,
        grew: grewFrom(partner, f),
      };
    }
    return {
      status: options.wasFixedBefore?.(f.fingerprint) ? 'reopened' : 'new',
      exposureKey: exposureKey(f),
      baseline: null,
      candidate: f,
      grew: false,
    };
  });
  for (const f of gone)
    if (!movedFrom.has(f.fingerprint))
      result.push({ status: 'fixed', exposureKey: exposureKey(f), baseline: f, candidate: null, grew: false });
  return result;
}

const metricText = (value: number | string | null | undefined): string | null =>
  value === undefined || value === null ? null : String(value);

/** Every metric key either side has, sorted; equal values are kept (direction `unchanged`) so callers can show full tables. */
export function compareMetrics(baseline: ResultSet['metrics'], candidate: ResultSet['metrics']): MetricDelta[] {
  const keys = [...new Set([...Object.keys(baseline), ...Object.keys(candidate)])].sort();
  return keys.map((key) => {
    const a = metricText(baseline[key]);
    const b = metricText(candidate[key]);
    const da = a === null ? null : parseDecimal(a);
    const db = b === null ? null : parseDecimal(b);
    const delta: Decimal | null = da && db ? subtract(db, da) : null;
    const sign = delta ? compareDecimal(delta, { units: 0n, scale: 0 }) : a === b ? 0 : NaN;
    return {
      key,
      baseline: a,
      candidate: b,
      delta: delta ? formatDecimal(delta) : null,
      direction: Number.isNaN(sign) ? 'neutral' : metricDirection(key, sign),
    };
  });
}

/** N candidate columns, each against the one baseline (not only pairs). */
export function compareResultSets<F extends ComparableFinding>(
  baseline: ResultSet<F>,
  candidates: readonly ResultSet<F>[],
  options: CompareOptions = {},
): ColumnComparison<F>[] {
  return candidates.map((column) => ({
    label: column.label,
    findings: compareFindings(baseline.findings, column.findings, options),
    metrics: compareMetrics(baseline.metrics, column.metrics),
  }));
}

/** How one column stands on one finding row: its status and its own record (null when fixed). */
export interface FindingCell<F extends ComparableFinding = ComparableFinding> {
  readonly status: FindingStatus;
  readonly candidate: F | null;
  readonly grew: boolean;
}

/**
 * One finding across N columns: a baseline finding (each column has it persisting, moved or
 * fixed), or a finding only candidate columns have (new or reopened; null where a column lacks it).
 */
export interface FindingRow<F extends ComparableFinding = ComparableFinding> {
  readonly exposureKey: string;
  /** The baseline's record; null for a row of candidate-only findings. */
  readonly baseline: F | null;
  /** The candidate-only fingerprint of the row; null for a baseline row. */
  readonly fingerprint: string | null;
  /** One cell per column, in column order. */
  readonly cells: readonly (FindingCell<F> | null)[];
}

/**
 * Lines the columns of compareResultSets() up by finding: one row per baseline finding (in
 * baseline order), then one row per candidate-only fingerprint (in order of first appearance,
 * column by column), so a finding that comes back in several columns is one row.
 */
export function findingRows<F extends ComparableFinding>(
  baseline: readonly F[],
  columns: readonly ColumnComparison<F>[],
): FindingRow<F>[] {
  const baselineRows = new Map<F, (FindingCell<F> | null)[]>(
    baseline.map((f) => [f, Array.from({ length: columns.length }, () => null)]),
  );
  const candidateRows = new Map<string, { exposureKey: string; cells: (FindingCell<F> | null)[] }>();
  columns.forEach((column, i) => {
    for (const c of column.findings) {
      const cell: FindingCell<F> = { status: c.status, candidate: c.candidate, grew: c.grew };
      if (c.baseline) {
        const cells = baselineRows.get(c.baseline);
        invariant(
          cells !== undefined,
          `column ${i} pairs a finding (${c.baseline.fingerprint}) the baseline does not have`,
        );
        invariant(cells[i] === null, `column ${i} pairs baseline finding ${c.baseline.fingerprint} twice`);
        cells[i] = cell;
        continue;
      }
      invariant(c.candidate !== null, `column ${i} has a finding with neither side`);
      const row = candidateRows.get(c.candidate.fingerprint) ?? {
        exposureKey: c.exposureKey,
        cells: Array.from({ length: columns.length }, () => null),
      };
      row.cells[i] = cell;
      candidateRows.set(c.candidate.fingerprint, row);
    }
  });
  return [
    ...[...baselineRows].map(([f, cells]) => {
      invariant(
        cells.every((cell) => cell !== null),
        `baseline finding ${f.fingerprint} is missing from a column (every column has it persisting, moved or fixed)`,
      );
      return { exposureKey: exposureKey(f), baseline: f, fingerprint: null, cells };
    }),
    ...[...candidateRows].map(([fingerprint, row]) => ({
      exposureKey: row.exposureKey,
      baseline: null,
      fingerprint,
      cells: row.cells,
    })),
  ];
}

/** One metric across N columns: the baseline's value and each column's delta against it. */
export interface MetricRow {
  readonly key: string;
  readonly baseline: string | null;
  /** One per column, in column order; a key a column lacks on both sides is `unchanged` with null values. */
  readonly cells: readonly MetricDelta[];
}

/** Every metric key any column compared, sorted, with one cell per column. */
export function metricRows(columns: readonly Pick<ColumnComparison, 'metrics'>[]): MetricRow[] {
  const keys = [...new Set(columns.flatMap((c) => c.metrics.map((m) => m.key)))].sort();
  const byColumn = columns.map((c) => new Map(c.metrics.map((m) => [m.key, m])));
  return keys.map((key) => {
    const cells = byColumn.map(
      (metrics): MetricDelta =>
        metrics.get(key) ?? { key, baseline: null, candidate: null, delta: null, direction: 'unchanged' },
    );
    return { key, baseline: cells.find((m) => m.baseline !== null)?.baseline ?? null, cells };
  });
}
