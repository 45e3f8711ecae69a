import {
  compareDecimal,
  compareFindings,
  compareMetrics,
  type Decimal,
  formatDecimal,
  multiply,
  parseDecimal,
} from '../../engine/index';
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
    .sort(
      (a, b) =>
        a.scenarioName.localeCompare(b.scenarioName) ||
        a.entryName.localeCompare(b.entryName) ||
        a.runId.localeCompare(b.runId),
    )
    .map((candidate) =>
      compareEntry(candidate, baselineByKey.get(comparisonKey(candidate)) ?? null, input, input.baseline === null),
    );
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

function compareEntry(
  candidate: ComparedRun,
  baseline: ComparedRun | null,
  input: ComparisonInput,
  noBaseline: boolean,
): EntryComparison {
  const head = {
    key: comparisonKey(candidate),
    scenarioId: candidate.scenarioId,
    scenarioName: candidate.scenarioName,
    entryName: candidate.entryName,
    profile: candidate.profile,
    baselineProfile: baseline?.profile ?? null,
    candidateRunId: candidate.runId,
    baselineRunId: baseline?.runId ?? null,
    levels: candidate.levels,
    baselineLevels: baseline?.levels ?? null,
  };
  if (candidate.status !== 'SUCCEEDED')
    return { ...head, verdict: 'ERROR', reasons: [`RUN_${candidate.status}`], findings: [], metrics: [] };
  const comparableReasons = notComparableReasons(candidate, baseline, noBaseline);
  const findings = diffFindings(
    candidate.violations,
    baseline?.violations ?? [],
    input,
    comparableReasons.length === 0,
  );
  const metrics = diffMetrics(
    baseline?.metrics ?? {},
    candidate.metrics,
    input.thresholds,
    comparableReasons.length === 0,
  );
  if (comparableReasons.length > 0)
    return { ...head, verdict: 'NOT_COMPARABLE', reasons: comparableReasons, findings, metrics };

  const reasons = [
    ...findings
      .filter((f) => f.counts)
      .map(
        (f) =>
          `${f.change === 'PERSISTING' ? 'GREW' : f.change}_VIOLATION ${f.class}/${f.severity} ${f.deviceId} ${f.fingerprint}`,
      ),
    ...metrics.filter((m) => m.breached).map((m) => `THRESHOLD ${m.metric}: ${m.breachReason ?? ''}`),
  ];
  if (reasons.length > 0) return { ...head, verdict: 'REGRESSED', reasons, findings, metrics };
  const improvements = [
    ...findings
      .filter((f) => f.change === 'FIXED' && f.sameExposureAs === null)
      .map((f) => `FIXED_VIOLATION ${f.class}/${f.severity} ${f.deviceId} ${f.fingerprint}`),
    ...metrics
      .filter((m) => m.threshold && m.delta !== null && m.delta.startsWith('-'))
      .map((m) => `IMPROVED ${m.metric} by ${m.delta ?? ''}`),
  ];
  return { ...head, verdict: improvements.length > 0 ? 'IMPROVED' : 'PASS', reasons: improvements, findings, metrics };
}

function notComparableReasons(candidate: ComparedRun, baseline: ComparedRun | null, noBaseline: boolean): string[] {
  if (!baseline) return [noBaseline ? 'NO_BASELINE' : 'NOT_IN_BASELINE'];
  const reasons: string[] = [];
  if (baseline.status !== 'SUCCEEDED') reasons.push(`BASELINE_RUN_${baseline.status}`);
  if (baseline.engineVersion !== candidate.engineVersion)
    reasons.push(`ENGINE_VERSION_DIFFERS ${baseline.engineVersion} → ${candidate.engineVersion}`);
  if (baseline.specHash !== candidate.specHash)
    reasons.push(`SPEC_DIFFERS ${baseline.specHash.slice(0, 12)} → ${candidate.specHash.slice(0, 12)}`);
  return reasons;
}

/**
 * Findings of one entry, built on the one comparison (engine compare module): persisting by
 * fingerprint, moved by exposure, reopened from triage and history. A moved pair keeps this
 * report's shape: the candidate side NEW (or REOPENED) and the baseline side FIXED, each naming the
 * other in sameExposureAs. A moved finding gates like a persisting one: only when it exposes more.
 */
function diffFindings(
  candidate: readonly ComparedViolation[],
  baseline: readonly ComparedViolation[],
  input: ComparisonInput,
  gate: boolean,
): FindingDiff[] {
  const wasFixedBefore = (fingerprint: string): boolean =>
    input.triage.get(fingerprint)?.state === 'FIXED' || input.seenBefore.has(fingerprint);
  const compared = compareFindings(baseline, candidate, { wasFixedBefore });
  const diffs: FindingDiff[] = [];
  const fixed: FindingDiff[] = [];
  for (const c of compared) {
    const v = c.candidate ?? c.baseline;
    if (!v) continue;
    const decision = input.triage.get(v.fingerprint);
    const waived = isWaived(decision, input.now);
    if (c.status === 'fixed' || !c.candidate) {
      fixed.push(finding(v, 'FIXED', v, decision, waived, false, null));
      continue;
    }
    const persisting = c.status === 'persisting';
    const change = persisting ? 'PERSISTING' : wasFixedBefore(v.fingerprint) ? 'REOPENED' : 'NEW';
    const counts = gate && !waived && (!(persisting || c.status === 'moved') || c.grew);
    diffs.push(
      finding(
        v,
        change,
        persisting ? c.baseline : null,
        decision,
        waived,
        counts,
        c.status === 'moved' ? (c.baseline?.fingerprint ?? null) : null,
      ),
    );
    if (c.status === 'moved' && c.baseline) {
      const gone = input.triage.get(c.baseline.fingerprint);
      fixed.push(finding(c.baseline, 'FIXED', c.baseline, gone, isWaived(gone, input.now), false, v.fingerprint));
    }
  }
  return [...diffs, ...fixed].sort(
    (a, b) => a.change.localeCompare(b.change) || a.fingerprint.localeCompare(b.fingerprint),
  );
}

function finding(
  v: ComparedViolation,
  change: FindingDiff['change'],
  old: ComparedViolation | null,
  decision: TriageDecision | undefined,
  waived: boolean,
  counts: boolean,
  sameExposureAs: string | null,
): FindingDiff {
  const isFixed = change === 'FIXED';
  return {
    fingerprint: v.fingerprint,
    change,
    class: v.class,
    severity: v.severity,
    deviceId: v.deviceId,
    path: v.path,
    rule: v.rule,
    explanation: v.explanation,
    count: isFixed ? '0' : v.count.toString(),
    bytesExposed: isFixed ? '0' : v.bytesExposed.toString(),
    baselineCount: old ? old.count.toString() : null,
    baselineBytesExposed: old ? old.bytesExposed.toString() : null,
    waived,
    waiver:
      decision && decision.state === 'WAIVED'
        ? { reason: decision.reason, owner: decision.owner, expiresAt: decision.expiresAt?.toISOString() ?? null }
        : null,
    counts,
    sameExposureAs,
  };
}

/** Metric rows: the one comparison's deltas, plus this report's thresholds (unchanged metrics are listed only when thresholded). */
function diffMetrics(
  baseline: Readonly<Record<string, number | string>>,
  candidate: Readonly<Record<string, number | string>>,
  thresholds: readonly MetricThreshold[],
  gate: boolean,
): MetricDiff[] {
  const byMetric = new Map(thresholds.map((t) => [t.metric, t]));
  return compareMetrics(baseline, candidate).flatMap((m) => {
    const threshold = byMetric.get(m.key) ?? null;
    if (m.baseline === m.candidate && !threshold) return [];
    const da = m.baseline === null ? null : parseDecimal(m.baseline);
    const db = m.candidate === null ? null : parseDecimal(m.candidate);
    const delta = m.delta === null ? null : parseDecimal(m.delta);
    const breachReason = gate && threshold && db ? thresholdBreach(threshold, da, db, delta) : null;
    return [
      {
        metric: m.key,
        baseline: m.baseline,
        candidate: m.candidate,
        delta: m.delta,
        threshold,
        breached: breachReason !== null,
        breachReason,
      },
    ];
  });
}

/** Why a metric breaks its threshold, or null. Relative growth from a zero baseline is unbounded, so any growth breaks it. */
export function thresholdBreach(
  threshold: MetricThreshold,
  baseline: Decimal | null,
  candidate: Decimal,
  delta: Decimal | null,
): string | null {
  if (threshold.max !== undefined && threshold.max !== null) {
    const max = parseDecimal(threshold.max);
    if (max && compareDecimal(candidate, max) > 0)
      return `${formatDecimal(candidate)} exceeds the maximum ${threshold.max}`;
  }
  if (!baseline || !delta || delta.units <= 0n) return null;
  if (threshold.maxIncrease !== undefined && threshold.maxIncrease !== null) {
    const allowed = parseDecimal(threshold.maxIncrease);
    if (allowed && compareDecimal(delta, allowed) > 0)
      return `grew by ${formatDecimal(delta)} (allowed ${threshold.maxIncrease})`;
  }
  if (threshold.maxIncreasePercent !== undefined && threshold.maxIncreasePercent !== null) {
    const percent = parseDecimal(String(threshold.maxIncreasePercent));
    // delta / baseline > percent / 100  ⇔  delta × 100 > baseline × percent (baseline ≥ 0 for counters).
    if (percent && compareDecimal(multiply(delta, { units: 100n, scale: 0 }), multiply(baseline, percent)) > 0) {
      return `grew by ${formatDecimal(delta)} from ${formatDecimal(baseline)} (more than ${threshold.maxIncreasePercent} %)`;
    }
  }
  return null;
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
    moved: all.filter((f) => (f.change === 'NEW' || f.change === 'REOPENED') && f.sameExposureAs !== null).length,
  };
}
