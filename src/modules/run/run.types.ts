export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';
export type RunTrigger = 'MANUAL' | 'API' | 'BATCH' | 'SCHEDULE';

/** Verdict levels as the engine's report names them, worst first. */
export type RunVerdict = 'exposes-secrets' | 'exposes-data' | 'failing' | 'degraded' | 'clean';

/** The report summary a succeeded run stores: its verdict, every level that applies and the counts behind them. */
export interface RunSummary {
  readonly verdict: RunVerdict;
  readonly levels: readonly RunVerdict[];
  readonly operations: number;
  readonly violations: number;
  readonly failures: number;
  readonly bySeverity: Readonly<Record<'critical' | 'high' | 'info', number>>;
  readonly byClass: Readonly<Record<string, number>>;
  readonly failedOperations: number;
  readonly bytesExposed: number;
}

const verdictEnums = {
  'exposes-secrets': 'EXPOSES_SECRETS',
  'exposes-data': 'EXPOSES_DATA',
  failing: 'FAILING',
  degraded: 'DEGRADED',
  clean: 'CLEAN',
} as const;
export type RunVerdictEnum = (typeof verdictEnums)[RunVerdict];

/** GraphQL's RunVerdict enum value (EXPOSES_SECRETS) of a level (exposes-secrets), and back. */
export const verdictEnum = (verdict: RunVerdict): RunVerdictEnum => verdictEnums[verdict];
/** GraphQL enum values of stored level names (JSON columns hold plain strings), unknown names left out. */
export const verdictEnumsOf = (levels: readonly string[]): RunVerdictEnum[] =>
  levels.flatMap((level) => (Object.hasOwn(verdictEnums, level) ? [verdictEnums[level as RunVerdict]] : []));
export const verdictOfEnum = (value: RunVerdictEnum): RunVerdict =>
  (Object.keys(verdictEnums) as RunVerdict[]).find((v) => verdictEnums[v] === value) ?? 'clean';

/**
 * The PostgreSQL channel a trigger on the run table NOTIFYs with the run id whenever a run's status,
 * progress or attempts change, whoever wrote it (delivered at commit). API processes LISTEN on it
 * for live updates (migration 1796408400000_run-updated-notify).
 */
export const runUpdatedChannel = 'dmasim_run_updated';

export const finalRunStatuses: ReadonlySet<RunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export interface OverlayRef {
  readonly name: string;
  readonly variant?: string | null;
}

export interface Run {
  readonly id: string;
  readonly teamId: string;
  readonly scenarioId: string;
  readonly scenarioVersionId: string;
  readonly batchId: string | null;
  readonly profile: string;
  readonly overlays: readonly OverlayRef[];
  readonly seed: bigint;
  readonly engineVersion: string;
  readonly status: RunStatus;
  readonly trigger: RunTrigger;
  readonly idempotencyKey: string | null;
  readonly attempts: number;
  readonly progress: number;
  /**
   * How many times the run's status, progress or attempts changed (a trigger counts them): a later
   * state of the run has a higher revision, which orders states a subscriber hears and reads.
   */
  readonly revision: number;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly resultHash: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** This run's own wall-clock limit; null = the team default, then RUN_TIME_LIMIT_MS. */
  readonly timeLimitMs: number | null;
  /** Caps a generated workload at this many operations (explicit lists run whole); null = the spec's count. */
  readonly operationsCap: number | null;
  /** The worst verdict level once SUCCEEDED; null before. */
  readonly verdict: RunVerdict | null;
  /** The report's summary once SUCCEEDED; null before. */
  readonly summary: RunSummary | null;
}

export interface RunBatch {
  readonly id: string;
  readonly teamId: string;
  readonly scenarioId: string | null;
  readonly status: RunStatus;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  /**
   * The side-by-side comparison stored when the batch completed (null before), read in the same row
   * as `finishedAt`, so a reader never sees one without the other.
   */
  readonly comparison: unknown;
}

export type RunBatchWithRuns = RunBatch & { readonly runs: readonly Run[] };

export interface RunFilter {
  readonly status?: readonly RunStatus[] | null;
  readonly scenarioId?: string | null;
  readonly profile?: string | null;
  readonly trigger?: readonly RunTrigger[] | null;
  readonly batchId?: string | null;
  readonly createdAt?: { from?: Date | null; to?: Date | null } | null;
  /** Worst level is any of these. */
  readonly verdict?: readonly RunVerdict[] | null;
  /** Any of these levels applies. */
  readonly verdictLevel?: readonly RunVerdict[] | null;
}

/** A run to insert: everything decided at submission time. */
export interface NewRun {
  readonly teamId: string;
  readonly scenarioId: string;
  readonly scenarioVersionId: string;
  readonly profile: string;
  readonly overlays: readonly OverlayRef[];
  readonly seed: bigint;
  readonly engineVersion: string;
  readonly trigger: RunTrigger;
  readonly idempotencyKey: string | null;
  /** Wall-clock limit for this run (submitRun input); absent = the team default, then RUN_TIME_LIMIT_MS. */
  readonly timeLimitMs?: number | null;
  /** sha-256 of the submission the idempotency key came with (checked when the key is reused). */
  readonly idempotencyInputHash?: string | null;
  /** Caps a generated workload (a patch review's `operations`); absent = the spec's count. */
  readonly operationsCap?: number | null;
}

/** A finished run's results as the batch comparison reads them. */
export interface RunResultSummary {
  readonly violations: Array<{
    class: string;
    severity: string;
    fingerprint: string;
    bytesExposed: bigint;
    deviceId: string;
    dataClass: string;
    path: string;
    rule: string;
    count: bigint;
  }>;
  readonly metrics: {
    nslabs: number;
    hiwater: number;
    failedMaps: bigint;
    failedCoherentAllocs: bigint;
    bouncedBytesToDevice: bigint;
    bouncedBytesFromDevice: bigint;
  } | null;
}
