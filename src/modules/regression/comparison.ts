import type {
  ComparedRun,
  ComparedViolation,
  ComparisonCounts,
  ComparisonResult,
  EntryComparison,
  FindingDiff,
  MetricDiff,
  MetricThreshold,
  TriageDecision,
  Verdict,
} from './regression.types';

/**
 * The regression comparison: pure, no I/O, no clock (`now` is an input). dmasim results are exact,
 * so there is no noise model: a fingerprint is either there or not, and metric deltas are exact
 * decimal differences.
 */
export interface ComparisonInput {
  readonly candidate: readonly ComparedRun[];
  /** The baseline batch's runs, or null when the suite has no baseline yet. */
  readonly baseline: readonly ComparedRun[] | null;
  readonly thresholds: readonly MetricThreshold[];
  /** The team's triage decisions by fingerprint. */
  readonly triage: ReadonlyMap<string, TriageDecision>;
  /** Fingerprints the team saw in runs before the baseline: seen again after being gone = REOPENED. */
  readonly seenBefore: ReadonlySet<string>;
  readonly now: Date;
}

/** Comparison key of a run: scenario × suite entry name. */
export function comparisonKey(run: Pick<ComparedRun, 'scenarioId' | 'entryName'>): string {
  return `${run.scenarioId}/${run.entryName}`;
}

/** Compares every candidate run with the baseline run of the same key and derives the overall verdict. */
export function compareBatches(input: ComparisonInput): ComparisonResult {
  const baselineByKey = new Map((input.baseline ?? []).map((run) => [comparisonKey(run), run]));
  const entries = [...input.candidate]
    .sort((a, b) => comparisonKey(a).localeCompare(comparisonKey(b)))
    .map((candidate) => compareEntry(candidate, baselineByKey.get(comparisonKey(candidate)) ?? null, input, input.baseline === null));
  return { verdict: overallVerdict(entries.map((e) => e.verdict)), entries, counts: countFindings(entries) };
}

const verdictRank: Record<Verdict, number> = { REGRESSED: 4, ERROR: 3, NOT_COMPARABLE: 2, IMPROVED: 1, PASS: 0 };

/** REGRESSED beats ERROR beats NOT_COMPARABLE beats IMPROVED beats PASS; an empty batch passes. */
export function overallVerdict(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((worst, v) => (verdictRank[v] > verdictRank[worst] ? v : worst), 'PASS');
}

/** True when a waiver covers the fingerprint now; an expired waiver does not. */
export function isWaived(decision: TriageDecision | undefined, now: Date): boolean {
  if (!decision || decision.state !== 'WAIVED') return false;
  return decision.expiresAt === null || decision.expiresAt.getTime() > now.getTime();
}

function compareEntry(candidate: ComparedRun, baseline: ComparedRun | null, input: ComparisonInput, noBaseline: boolean): EntryComparison {
  const head = {
    key: comparisonKey(candidate), scenarioId: candidate.scenarioId, scenarioName: candidate.scenarioName, entryName: candidate.entryName,
    profile: candidate.profile, baselineProfile: baseline?.profile ?? null, candidateRunId: candidate.runId, baselineRunId: baseline?.runId ?? null,
  };
  if (candidate.status !== 'SUCCEEDED') return { ...head, verdict: 'ERROR', reasons: [`RUN_${candidate.status}`], findings: [], metrics: [] };
  const comparableReasons = notComparableReasons(candidate, baseline, noBaseline);
  const findings = diffFindings(candidate.violations, baseline?.violations ?? [], input, comparableReasons.length === 0);
  const metrics = diffMetrics(baseline?.metrics ?? {}, candidate.metrics, input.thresholds, comparableReasons.length === 0);
  if (comparableReasons.length > 0) return { ...head, verdict: 'NOT_COMPARABLE', reasons: comparableReasons, findings, metrics };

  const reasons = [
    ...findings.filter((f) => f.counts).map((f) => `${f.change === 'PERSISTING' ? 'GREW' : f.change}_VIOLATION ${f.class}/${f.severity} ${f.deviceId} ${f.fingerprint}`),
    ...metrics.filter((m) => m.breached).map((m) => `THRESHOLD ${m.metric}: ${m.breachReason ?? ''}`),
  ];
  if (reasons.length > 0) return { ...head, verdict: 'REGRESSED', reasons, findings, metrics };
  const improvements = [
    ...findings.filter((f) => f.change === 'FIXED').map((f) => `FIXED_VIOLATION ${f.class}/${f.severity} ${f.deviceId} ${f.fingerprint}`),
    ...metrics.filter((m) => m.threshold && m.delta !== null && m.delta.startsWith('-')).map((m) => `IMPROVED ${m.metric} by ${m.delta ?? ''}`),
  ];
  return { ...head, verdict: improvements.length > 0 ? 'IMPROVED' : 'PASS', reasons: improvements, findings, metrics };
}

function notComparableReasons(candidate: ComparedRun, baseline: ComparedRun | null, noBaseline: boolean): string[] {
  if (!baseline) return [noBaseline ? 'NO_BASELINE' : 'NOT_IN_BASELINE'];
  const reasons: string[] = [];
  if (baseline.status !== 'SUCCEEDED') reasons.push(`BASELINE_RUN_${baseline.status}`);
  if (baseline.engineVersion !== candidate.engineVersion) reasons.push(`ENGINE_VERSION_DIFFERS ${baseline.engineVersion} → ${candidate.engineVersion}`);
  if (baseline.specHash !== candidate.specHash) reasons.push(`SPEC_DIFFERS ${baseline.specHash.slice(0, 12)} → ${candidate.specHash.slice(0, 12)}`);
  return reasons;
}

function diffFindings(candidate: readonly ComparedViolation[], baseline: readonly ComparedViolation[], input: ComparisonInput, gate: boolean): FindingDiff[] {
  const before = new Map(baseline.map((v) => [v.fingerprint, v]));
  const after = new Set(candidate.map((v) => v.fingerprint));
  const diffs = candidate.map((v) => {
    const old = before.get(v.fingerprint);
    const decision = input.triage.get(v.fingerprint);
    const reopened = !old && (decision?.state === 'FIXED' || input.seenBefore.has(v.fingerprint));
    const change = old ? 'PERSISTING' : reopened ? 'REOPENED' : 'NEW';
    const grew = old !== undefined && (v.count > old.count || v.bytesExposed > old.bytesExposed);
    const waived = isWaived(decision, input.now);
    return finding(v, change, old ?? null, decision, waived, gate && !waived && (change !== 'PERSISTING' || grew));
  });
  const fixed = baseline.filter((v) => !after.has(v.fingerprint)).map((v) => finding(v, 'FIXED', v, input.triage.get(v.fingerprint), isWaived(input.triage.get(v.fingerprint), input.now), false));
  return [...diffs, ...fixed].sort((a, b) => a.change.localeCompare(b.change) || a.fingerprint.localeCompare(b.fingerprint));
}

function finding(v: ComparedViolation, change: FindingDiff['change'], old: ComparedViolation | null, decision: TriageDecision | undefined, waived: boolean, counts: boolean): FindingDiff {
  const isFixed = change === 'FIXED';
  return {
    fingerprint: v.fingerprint, change, class: v.class, severity: v.severity, deviceId: v.deviceId, path: v.path, rule: v.rule, explanation: v.explanation,
    count: isFixed ? '0' : v.count.toString(), bytesExposed: isFixed ? '0' : v.bytesExposed.toString(),
    baselineCount: old ? old.count.toString() : null, baselineBytesExposed: old ? old.bytesExposed.toString() : null,
    waived,
    waiver: decision && decision.state === 'WAIVED' ? { reason: decision.reason, owner: decision.owner, expiresAt: decision.expiresAt?.toISOString() ?? null } : null,
    counts,
  };
}

function diffMetrics(baseline: Readonly<Record<string, number | string>>, candidate: Readonly<Record<string, number | string>>, thresholds: readonly MetricThreshold[], gate: boolean): MetricDiff[] {
  const byMetric = new Map(thresholds.map((t) => [t.metric, t]));
  const keys = [...new Set([...Object.keys(baseline), ...Object.keys(candidate)])].sort();
  return keys.flatMap((metric) => {
    const a = baseline[metric];
    const b = candidate[metric];
    const threshold = byMetric.get(metric) ?? null;
    if (a === b && !threshold) return [];
    const da = a === undefined ? null : parseDecimal(String(a));
    const db = b === undefined ? null : parseDecimal(String(b));
    const delta = da && db ? subtract(db, da) : null;
    const breachReason = gate && threshold && db ? thresholdBreach(threshold, da, db, delta) : null;
    return [{
      metric, baseline: a === undefined ? null : String(a), candidate: b === undefined ? null : String(b), delta: delta ? formatDecimal(delta) : null,
      threshold, breached: breachReason !== null, breachReason,
    }];
  });
}

/** Why a metric breaks its threshold, or null. Relative growth from a zero baseline is unbounded, so any growth breaks it. */
export function thresholdBreach(threshold: MetricThreshold, baseline: Decimal | null, candidate: Decimal, delta: Decimal | null): string | null {
  if (threshold.max !== undefined && threshold.max !== null) {
    const max = parseDecimal(threshold.max);
    if (max && compare(candidate, max) > 0) return `${formatDecimal(candidate)} exceeds the maximum ${threshold.max}`;
  }
  if (!baseline || !delta || delta.units <= 0n) return null;
  if (threshold.maxIncrease !== undefined && threshold.maxIncrease !== null) {
    const allowed = parseDecimal(threshold.maxIncrease);
    if (allowed && compare(delta, allowed) > 0) return `grew by ${formatDecimal(delta)} (allowed ${threshold.maxIncrease})`;
  }
  if (threshold.maxIncreasePercent !== undefined && threshold.maxIncreasePercent !== null) {
    const percent = parseDecimal(String(threshold.maxIncreasePercent));
    // delta / baseline > percent / 100  ⇔  delta × 100 > baseline × percent (baseline ≥ 0 for counters).
    if (percent && compare(multiply(delta, { units: 100n, scale: 0 }), multiply(baseline, percent)) > 0) {
      return `grew by ${formatDecimal(delta)} from ${formatDecimal(baseline)} (more than ${threshold.maxIncreasePercent} %)`;
    }
  }
  return null;
}

/** An exact decimal: units × 10^-scale. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** Parses a plain or exponent decimal string exactly; null for anything else (NaN, text metrics). */
export function parseDecimal(text: string): Decimal | null {
  const match = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return null;
  const [, sign = '', whole = '0', fraction = '', exponentText = '0'] = match;
  let units = BigInt(`${whole}${fraction}`) * (sign === '-' ? -1n : 1n);
  let scale = fraction.length - Number(exponentText);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return { units: x - y, scale };
}

function multiply(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

function compare(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x === y ? 0 : x > y ? 1 : -1;
}

/** Shortest exact decimal text: trailing fractional zeros dropped. */
export function formatDecimal(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = value.scale > 0 ? digits.slice(digits.length - value.scale).replace(/0+$/, '') : '';
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && text !== '0' ? `-${text}` : text;
}

function countFindings(entries: readonly EntryComparison[]): ComparisonCounts {
  const all = entries.flatMap((e) => e.findings);
  return {
    new: all.filter((f) => f.change === 'NEW').length,
    fixed: all.filter((f) => f.change === 'FIXED').length,
    persisting: all.filter((f) => f.change === 'PERSISTING').length,
    reopened: all.filter((f) => f.change === 'REOPENED').length,
    waived: all.filter((f) => f.waived && f.change !== 'FIXED').length,
    thresholdBreaches: entries.flatMap((e) => e.metrics).filter((m) => m.breached).length,
  };
}
