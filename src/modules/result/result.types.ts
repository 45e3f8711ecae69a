export type TriageState = 'OPEN' | 'ACKNOWLEDGED' | 'WAIVED' | 'FIXED';

export interface Violation {
  readonly id: string;
  readonly teamId: string;
  readonly runId: string;
  readonly scenarioId: string;
  readonly class: string;
  readonly severity: string;
  readonly deviceId: string;
  readonly fingerprint: string;
  readonly count: bigint;
  readonly bytesExposed: bigint;
  readonly dataClass: string;
  readonly firstOp: bigint;
  readonly path: string;
  readonly rule: string;
  readonly explanation: string;
  /** Effective state: a waiver past its expiry counts as OPEN. */
  readonly triageState: TriageState;
  readonly createdAt: Date;
}

export interface ViolationFilter {
  readonly class?: readonly string[] | null;
  readonly severity?: readonly string[] | null;
  readonly deviceId?: string | null;
  readonly fingerprint?: string | null;
  readonly triageState?: readonly TriageState[] | null;
  readonly runId?: string | null;
  readonly scenarioId?: string | null;
  readonly createdAt?: { from?: Date | null; to?: Date | null } | null;
}

export interface AllocatorMetrics {
  readonly runId: string;
  readonly nslabs: number;
  readonly nareas: number;
  readonly used: number;
  readonly hiwater: number;
  readonly failedMaps: bigint;
  readonly failedCoherentAllocs: bigint;
  readonly bouncedBytesToDevice: bigint;
  readonly bouncedBytesFromDevice: bigint;
  readonly all: Readonly<Record<string, unknown>>;
}

export interface MetricPoint {
  readonly t: bigint;
  readonly value: number;
}

export interface Triage {
  readonly fingerprint: string;
  readonly state: TriageState;
  readonly reason: string | null;
  readonly owner: string | null;
  readonly expiresAt: Date | null;
  readonly updatedAt: Date;
}

/** Everything a successful run stores, written in one transaction by ResultRepository.saveRunResult. */
export interface RunResultRecord {
  readonly runId: string;
  readonly teamId: string;
  readonly resultHash: string;
  readonly report: unknown;
  /** The report's summary: stored on the run row (verdict, every level, counts) so lists can filter by it. */
  readonly summary: { readonly verdict: string; readonly levels: readonly string[] } & Readonly<
    Record<string, unknown>
  >;
  readonly violations: ReadonlyArray<{
    class: string;
    severity: string;
    deviceId: string;
    fingerprint: string;
    count: bigint;
    bytesExposed: bigint;
    dataClass: string;
    firstOp: bigint;
    path: string;
    rule: string;
    explanation: string;
  }>;
  readonly metrics: Omit<AllocatorMetrics, 'runId'>;
  readonly samples: ReadonlyArray<{ metric: string; t: bigint; value: number }>;
}

/** What storing a run's results wrote. */
export interface StoredRunResult {
  readonly finishedAt: Date;
  /** A replay waits for this run's hash (a run_replay row without one): the replay module records it. */
  readonly replayPending: boolean;
}
