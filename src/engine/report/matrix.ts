/**
 * Side-by-side comparison of reports of one scenario under several kernels (`dmasim run --matrix`).
 * Pure: the CLI runs the engine once per column and renders what compareReports() returns.
 *
 * Fingerprints include the platform/profile, so the same cause under two kernels has two
 * fingerprints; findings are matched across columns by what the kernel did instead: class, device,
 * data class, path and rule (violations) or class, device and rule (failures).
 */
import type { DataClass, EngineReport, FailureClass, MetricValue, Severity, Verdict, ViolationClass } from './report.types';

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

/** Metrics shown in every comparison, in this order (docs/engine-contract.md §8 keys); per-class and per-device keys follow. */
export const headlineMetricKeys: readonly string[] = [
  'swiotlb.nslabs',
  'swiotlb.hiwater',
  'swiotlb.bouncedBytesToDevice',
  'swiotlb.bouncedBytesFromDevice',
  'failedMaps',
  'failedCoherentAllocs',
  'conversions.decryptPages',
  'conversions.leakedPages',
  'cost.bounceCopyNs',
];

const severityRank: Readonly<Record<Severity, number>> = { critical: 3, high: 2, info: 1 };

/** Orders classes V0…V9 before F1…F16, numerically inside each. */
export function compareClassIds(a: string, b: string): number {
  const kind = (id: string): number => (id.startsWith('V') ? 0 : 1);
  return kind(a) - kind(b) || Number(a.slice(1)) - Number(b.slice(1));
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Matches the findings of several reports of one scenario and lines up their headline metrics.
 * Rows come in a stable order (class, device, data class, rule, path), so the same inputs always
 * give the same comparison.
 */
export function compareReports(columns: readonly MatrixColumn[]): MatrixComparison {
  const width = columns.length;
  const rows = new Map<string, { row: Omit<MatrixFindingRow, 'cells'>; cells: (MatrixCell | null)[] }>();
  const rowFor = (key: string, row: Omit<MatrixFindingRow, 'cells'>): (MatrixCell | null)[] => {
    let entry = rows.get(key);
    if (!entry) {
      entry = { row, cells: Array.from({ length: width }, () => null) };
      rows.set(key, entry);
    }
    return entry.cells;
  };
  const merge = (cells: (MatrixCell | null)[], i: number, add: MatrixCell): void => {
    const have = cells[i] ?? null;
    cells[i] =
      have === null
        ? add
        : {
            severity: severityRank[add.severity] > severityRank[have.severity] ? add.severity : have.severity,
            count: have.count + add.count,
            bytesExposed: have.bytesExposed + add.bytesExposed,
            firstOp: Math.min(have.firstOp, add.firstOp),
          };
  };
  columns.forEach(({ report }, i) => {
    for (const v of report.violations) {
      const key = ['V', v.class, v.deviceId, v.dataClass, v.path, v.rule].join('\u0000');
      merge(rowFor(key, { kind: 'violation', class: v.class, deviceId: v.deviceId, dataClass: v.dataClass, path: v.path, rule: v.rule }), i, {
        severity: v.severity,
        count: v.count,
        bytesExposed: v.bytesExposed,
        firstOp: v.firstOp,
      });
    }
    for (const f of report.failures) {
      const key = ['F', f.class, f.deviceId, f.rule].join('\u0000');
      merge(rowFor(key, { kind: 'failure', class: f.class, deviceId: f.deviceId, dataClass: null, path: null, rule: f.rule }), i, {
        severity: f.severity,
        count: f.count,
        bytesExposed: 0,
        firstOp: f.firstOp,
      });
    }
  });
  const findings = [...rows.values()]
    .map(({ row, cells }) => ({ ...row, cells }))
    .sort(
      (a, b) =>
        compareClassIds(a.class, b.class) ||
        byText(a.deviceId, b.deviceId) ||
        byText(a.dataClass ?? '', b.dataClass ?? '') ||
        byText(a.rule, b.rule) ||
        byText(a.path ?? '', b.path ?? ''),
    );

  const classIds = [...new Set(findings.map((f) => f.class))].sort(compareClassIds);
  const classes = classIds.map((id) => ({
    class: id,
    cells: columns.map((_, i) =>
      findings
        .filter((f) => f.class === id)
        .map((f) => f.cells[i]?.severity ?? null)
        .reduce<Severity | null>((worst, s) => (s === null ? worst : worst === null || severityRank[s] > severityRank[worst] ? s : worst), null),
    ),
  }));

  const seen = new Set<string>();
  const extraKeys = (prefix: string): string[] => [...new Set(columns.flatMap(({ report }) => Object.keys(report.metrics).filter((k) => k.startsWith(prefix))))].sort(byText);
  const deviceKeys = extraKeys('devices.').filter((k) => /\.(bounces|directMaps|errors|maxMappingBytes)$/.test(k));
  const violationKeys = extraKeys('violations.').sort((a, b) => compareClassIds(a.split('.')[1] ?? '', b.split('.')[1] ?? ''));
  const keys = [...headlineMetricKeys, ...violationKeys, ...deviceKeys].filter((k) => !seen.has(k) && seen.add(k) !== undefined);
  const metrics = keys
    .map((key) => ({ key, values: columns.map(({ report }) => report.metrics[key] ?? null) }))
    .filter((row) => row.values.some((v) => v !== null));

  return { columns: columns.map((c) => c.label), verdicts: columns.map((c) => c.report.summary.verdict), classes, findings, metrics };
}
