/**
 * The engine's report (docs/engine-contract.md §9): one JSON document per run. Stored as produced by the API,
 * rendered by the CLI, compared by regression runs. Keys are stable: dashboards, thresholds and
 * comparisons depend on them.
 */

/** Verdict levels, worst first (see verdict.ts): exposes-secrets > exposes-data > failing > degraded > clean. */
export type Verdict = 'exposes-secrets' | 'exposes-data' | 'failing' | 'degraded' | 'clean';
export type Severity = 'critical' | 'high' | 'info';
/** `unknown`: bytes nobody classified (an imported trace without --data rules); rated like sensitive. */
export type DataClass = 'secret' | 'sensitive' | 'public' | 'unknown' | 'stale';
/**
 * V0-V9 (docs/kernel-dma.md §10.1 plus V0 of docs/engine-contract.md §5). V10 (zero-copy TX into bounce buffers) is an
 * unmerged patch no profile models, so the engine does not list a class it cannot produce.
 */
export type ViolationClass = `V${0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`;
/** F1-F15 (docs/kernel-dma.md §10.2) and F16 (a remap that may sleep in atomic context). */
export type FailureClass = `F${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16}`;

export interface ViolationFinding {
  readonly class: ViolationClass;
  readonly severity: Severity;
  readonly deviceId: string;
  /** Index of the first operation that exposed data. */
  readonly firstOp: number;
  /** Operations that exposed data. */
  readonly count: number;
  readonly bytesExposed: number;
  readonly dataClass: DataClass;
  /** Kernel path, e.g. "dma_direct_map_phys → swiotlb_map → swiotlb_tbl_map_single". */
  readonly path: string;
  /** Rule id from the reference tables, e.g. "A4". */
  readonly rule: string;
  /** Plain English, citing the kernel function. */
  readonly explanation: string;
  /** Stable across runs and engine versions unless the cause changes (class+device+path+rule+platform/profile). */
  readonly fingerprint: string;
}

export interface FailureFinding {
  readonly class: FailureClass;
  readonly severity: Severity;
  readonly deviceId: string;
  readonly firstOp: number;
  readonly count: number;
  /** The kernel's log line for it, when the kernel prints one. */
  readonly kernelLogLine: string | null;
  readonly rule: string;
  readonly explanation: string;
  readonly fingerprint: string;
}

/** A metric value: a number, or a string such as "unlimited" for SIZE_MAX. */
export type MetricValue = number | string;

export interface MetricSeriesSet {
  /** Virtual time of each bucket's end, in modelled nanoseconds. */
  readonly t: readonly number[];
  /** Metric key → one value per bucket. */
  readonly values: Readonly<Record<string, readonly number[]>>;
}

export interface KernelLogLine {
  readonly op: number;
  readonly text: string;
}

export interface EngineReport {
  readonly engineVersion: string;
  readonly specHash: string;
  readonly seed: number;
  readonly platform: string;
  readonly profile: string;
  /** Applied overlays; `hunks` lists the ids of the hunks that were active (see `dmasim overlays`). */
  readonly overlays: ReadonlyArray<{
    readonly name: string;
    readonly variant?: string;
    readonly hunks?: readonly string[];
  }>;
  readonly summary: {
    /** The worst level that applies. */
    readonly verdict: Verdict;
    /** Every level that applies, worst first (`['clean']` when none). */
    readonly levels: readonly Verdict[];
    readonly operations: number;
    /** Violation findings. */
    readonly violations: number;
    /** Failure findings. */
    readonly failures: number;
    /** Findings per severity. */
    readonly bySeverity: Readonly<Record<Severity, number>>;
    /** Operations affected per class (sum of the findings' counts). */
    readonly byClass: Readonly<Record<string, number>>;
    /** Operations that failed (counts of failures above info). */
    readonly failedOperations: number;
    /** Bytes exposed over all violations. */
    readonly bytesExposed: number;
  };
  readonly violations: readonly ViolationFinding[];
  readonly failures: readonly FailureFinding[];
  /** Keyed as in docs/engine-contract.md §8. */
  readonly metrics: Readonly<Record<string, MetricValue>>;
  readonly series: MetricSeriesSet;
  readonly kernelLog: readonly KernelLogLine[];
  /** Parameters of the modelled cost (not measured). */
  readonly costModel: Readonly<Record<string, number | string>>;
  /** sha-256 of the canonical JSON of the report without this field. */
  readonly resultHash: string;
}
