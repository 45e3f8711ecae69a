import type { ViolationForComparison } from '../run/run-reader.repository';
import type { OverlayRef, RunStatus } from '../run/run.types';
import type { TriageState } from '../result/result.types';

/** A suite's or comparison's verdict. ERROR: a candidate run did not succeed, so nothing could be compared. */
export type Verdict = 'PASS' | 'REGRESSED' | 'IMPROVED' | 'NOT_COMPARABLE' | 'ERROR';
/** How a violation fingerprint moved between baseline and candidate. */
export type FindingChange = 'NEW' | 'FIXED' | 'PERSISTING' | 'REOPENED';
export type BaselinePolicy = 'LAST_ACCEPTED' | 'PINNED' | 'TAG';
export type OverlapPolicy = 'SKIP' | 'ALLOW';
/** Why a schedule firing was skipped: too soon after the last, the previous batch still running, or the team's queue full. */
export const scheduleSkipReasons = ['MIN_INTERVAL', 'OVERLAP', 'QUEUE_FULL'] as const;
export type ScheduleSkipReason = (typeof scheduleSkipReasons)[number];
export type SuiteBatchTrigger = 'MANUAL' | 'API' | 'SCHEDULE' | 'CI';
export type WebhookEvent = 'batch.completed' | 'regression';
export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One kernel configuration of a suite; `name` is the comparison key, so renaming a profile under the same name compares old vs new kernel. */
export interface SuiteEntry {
  readonly name: string;
  readonly profile: string;
  readonly overlays: readonly OverlayRef[];
}

/**
 * A metric gate. Values are decimal strings so integers of any size compare exactly.
 * maxIncrease: absolute growth allowed; maxIncreasePercent: growth relative to the baseline; max: a ceiling.
 */
export interface MetricThreshold {
  readonly metric: string;
  readonly maxIncrease?: string | null;
  readonly maxIncreasePercent?: number | null;
  readonly max?: string | null;
}

export interface Suite {
  readonly id: string;
  readonly teamId: string;
  readonly name: string;
  readonly description: string;
  readonly scenarioIds: readonly string[];
  readonly entries: readonly SuiteEntry[];
  readonly seed: bigint | null;
  readonly baselinePolicy: BaselinePolicy;
  readonly baselineBatchId: string | null;
  readonly baselineTag: string | null;
  readonly thresholds: readonly MetricThreshold[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface SuiteBatch {
  readonly id: string;
  readonly teamId: string;
  readonly suiteId: string;
  readonly scheduleId: string | null;
  readonly trigger: SuiteBatchTrigger;
  readonly status: RunStatus;
  readonly runBatchIds: readonly string[];
  readonly tags: readonly string[];
  readonly acceptedAt: Date | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

export interface Schedule {
  readonly id: string;
  readonly teamId: string;
  readonly suiteId: string;
  readonly name: string;
  readonly cron: string;
  readonly timeZone: string;
  readonly paused: boolean;
  readonly overlapPolicy: OverlapPolicy;
  readonly lastFiredAt: Date | null;
  readonly lastSkippedAt: Date | null;
  readonly lastSkipReason: ScheduleSkipReason | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface StoredComparison {
  readonly id: string;
  readonly teamId: string;
  readonly suiteId: string;
  readonly batchId: string;
  readonly baselineBatchId: string | null;
  readonly verdict: Verdict;
  readonly detail: ComparisonResult;
  readonly createdAt: Date;
}

/** PENDING until the replay run ends; then whether its hash matched, or NOT_COMPLETED when it ended without a result. */
export type ReplayStatus = 'PENDING' | 'IDENTICAL' | 'DIFFERENT' | 'NOT_COMPLETED';

export interface RunReplay {
  readonly id: string;
  readonly runId: string;
  /** The queued run that replays runId; null for replays recorded before replays went through the queue. */
  readonly replayRunId: string | null;
  readonly status: ReplayStatus;
  readonly engineVersion: string;
  readonly expectedHash: string;
  readonly actualHash: string | null;
  readonly identical: boolean | null;
  readonly createdAt: Date;
}

export interface Webhook {
  readonly id: string;
  readonly teamId: string;
  readonly url: string;
  readonly secret: string;
  readonly events: readonly WebhookEvent[];
  readonly suiteIds: readonly string[];
  readonly minSeverity: string | null;
  readonly enabled: boolean;
  readonly createdAt: Date;
}

export interface WebhookDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly event: WebhookEvent;
  readonly payload: unknown;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly responseStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
}

/** A violation as the comparison sees it. */
export type ComparedViolation = ViolationForComparison;

/** One run of a batch, keyed by scenario × entry name. */
export interface ComparedRun {
  readonly scenarioId: string;
  readonly scenarioName: string;
  readonly entryName: string;
  readonly runId: string;
  readonly profile: string;
  readonly status: RunStatus;
  /** Every verdict level of the run, worst first (exposes-secrets … clean); empty unless SUCCEEDED. */
  readonly levels: readonly string[];
  readonly engineVersion: string;
  /** Hash of the scenario spec without its kernel section: runs are comparable when it and the engine version match. */
  readonly specHash: string;
  readonly violations: readonly ComparedViolation[];
  readonly metrics: Readonly<Record<string, number | string>>;
}

export interface TriageDecision {
  readonly state: TriageState;
  readonly reason: string | null;
  readonly owner: string | null;
  readonly expiresAt: Date | null;
}

/** A fingerprint's movement (JSON-safe: integers as decimal strings). */
export interface FindingDiff {
  readonly fingerprint: string;
  readonly change: FindingChange;
  readonly class: string;
  readonly severity: string;
  readonly deviceId: string;
  readonly path: string;
  readonly rule: string;
  readonly explanation: string;
  readonly count: string;
  readonly bytesExposed: string;
  readonly baselineCount: string | null;
  readonly baselineBytesExposed: string | null;
  /** An unexpired waiver covers it: reported, but it does not fail the comparison. */
  readonly waived: boolean;
  readonly waiver: {
    readonly reason: string | null;
    readonly owner: string | null;
    readonly expiresAt: string | null;
  } | null;
  /** True when this finding makes the entry REGRESSED. */
  readonly counts: boolean;
  /**
   * For NEW/REOPENED: the FIXED baseline fingerprint with the same class, device, severity and data
   * class (the same exposure, reached by another kernel path or rule, e.g. after a profile change);
   * for FIXED: the new fingerprint that took its place. Informational: the verdict goes by fingerprint.
   */
  readonly sameExposureAs: string | null;
}

export interface MetricDiff {
  readonly metric: string;
  readonly baseline: string | null;
  readonly candidate: string | null;
  /** Exact decimal difference candidate − baseline, when both are numbers. */
  readonly delta: string | null;
  readonly threshold: MetricThreshold | null;
  readonly breached: boolean;
  readonly breachReason: string | null;
}

export interface EntryComparison {
  readonly key: string;
  readonly scenarioId: string;
  readonly scenarioName: string;
  readonly entryName: string;
  readonly profile: string;
  readonly baselineProfile: string | null;
  readonly candidateRunId: string;
  readonly baselineRunId: string | null;
  /** The candidate run's verdict levels, worst first; empty unless it succeeded (and in comparisons stored before levels were recorded). */
  readonly levels: readonly string[];
  /** The baseline run's verdict levels; null without a baseline run (and in comparisons stored before levels were recorded). */
  readonly baselineLevels: readonly string[] | null;
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  readonly findings: readonly FindingDiff[];
  readonly metrics: readonly MetricDiff[];
}

export interface ComparisonCounts {
  readonly new: number;
  readonly fixed: number;
  readonly persisting: number;
  readonly reopened: number;
  readonly waived: number;
  readonly thresholdBreaches: number;
  /** NEW or REOPENED findings whose exposure the baseline had under another fingerprint. */
  readonly moved: number;
}

export interface ComparisonResult {
  readonly verdict: Verdict;
  readonly entries: readonly EntryComparison[];
  readonly counts: ComparisonCounts;
}
