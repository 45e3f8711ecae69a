/**
 * The shape of a side-by-side comparison of reports of one scenario under several kernels
 * (`dmasim run --matrix`), as the Markdown renderer reads it; built by compare/matrix.ts.
 */
import type {
  DataClass,
  EngineReport,
  FailureClass,
  MetricValue,
  Severity,
  Verdict,
  ViolationClass,
} from './report.types';

/** One column: a label such as `lb+device-cc-accepted:dan` and the report of that run. */
export interface MatrixColumn {
  readonly label: string;
  readonly report: EngineReport;
}

/** What one column shows of a matched finding. */
export interface MatrixCell {
  readonly severity: Severity;
  readonly count: number;
  /** Bytes exposed (violations); 0 for failures. */
  readonly bytesExposed: number;
  readonly firstOp: number;
}

/** A finding matched across columns; `cells[i]` is null when column i does not show it. */
export interface MatrixFindingRow {
  readonly kind: 'violation' | 'failure';
  readonly class: ViolationClass | FailureClass;
  readonly deviceId: string;
  /** Violations only. */
  readonly dataClass: DataClass | null;
  /** Violations only. */
  readonly path: string | null;
  readonly rule: string;
  readonly cells: readonly (MatrixCell | null)[];
}

/** Per class, the worst severity each column shows (null: the class does not occur there). */
export interface MatrixClassRow {
  readonly class: ViolationClass | FailureClass;
  readonly cells: readonly (Severity | null)[];
}

/** A headline metric across columns; null where a column's report lacks the key. */
export interface MatrixMetricRow {
  readonly key: string;
  readonly values: readonly (MetricValue | null)[];
}

export interface MatrixComparison {
  readonly columns: readonly string[];
  readonly verdicts: readonly Verdict[];
  readonly classes: readonly MatrixClassRow[];
  readonly findings: readonly MatrixFindingRow[];
  readonly metrics: readonly MatrixMetricRow[];
}

/** Orders classes V0…V9 before F1…F16, numerically inside each. */
export function compareClassIds(a: string, b: string): number {
  const kind = (id: string): number => (id.startsWith('V') ? 0 : 1);
  return kind(a) - kind(b) || Number(a.slice(1)) - Number(b.slice(1));
}
