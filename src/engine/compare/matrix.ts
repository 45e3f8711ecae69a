/**
 * Side-by-side comparison of reports of one scenario under several kernels (`dmasim run --matrix`),
 * pure: the CLI runs the engine once per column and renders what compareReports() returns.
 *
 * Two views: `findings` lines findings up by what the kernel did (class, device, data class, path
 * and rule), one row per kernel path with a cell per column; `changes` is the one comparison
 * (compare.ts) of every other column against the first, so a leak that another kernel reaches
 * through a different path shows as moved rather than one new and one fixed finding.
 */
import {
  type MatrixCell,
  type MatrixColumn,
  type MatrixComparison,
  type MatrixFindingRow,
  compareClassIds,
} from '../report/matrix';
import type { EngineReport, Severity } from '../report/report.types';
import { type ColumnComparison, type ComparableFinding, compareResultSets, type ResultSet } from './compare';
import { comparisonLine, countStatuses, findingClassDeltas } from './summary';

/** A matrix comparison with each column after the first compared against the first. */
export interface MatrixWithChanges extends MatrixComparison {
  readonly changes: readonly ColumnComparison[];
  /** One line per compared column: "vs la-phys: fixed 5, new 0, moved 0, failures +9,958 F5". */
  readonly changeSummaries: readonly string[];
}

/** A report as a result set: violations and failures (failures expose no bytes and have no data class or path). */
export function reportResultSet(label: string, report: EngineReport): ResultSet {
  const findings: ComparableFinding[] = [
    ...report.violations.map((v) => ({
      fingerprint: v.fingerprint,
      class: v.class,
      deviceId: v.deviceId,
      dataClass: v.dataClass,
      severity: v.severity,
      path: v.path,
      rule: v.rule,
      count: v.count,
      bytesExposed: v.bytesExposed,
    })),
    ...report.failures.map((f) => ({
      fingerprint: f.fingerprint,
      class: f.class,
      deviceId: f.deviceId,
      dataClass: null,
      severity: f.severity,
      path: null,
      rule: f.rule,
      count: f.count,
      bytesExposed: 0,
    })),
  ];
  return { label, findings, metrics: report.metrics };
}

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

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Matches the findings of several reports of one scenario, lines up their headline metrics and
 * compares every column after the first with the first.
 * Rows come in a stable order (class, device, data class, rule, path), so the same inputs always
 * give the same comparison.
 */
export function compareReports(columns: readonly MatrixColumn[]): MatrixWithChanges {
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
      merge(
        rowFor(key, {
          kind: 'violation',
          class: v.class,
          deviceId: v.deviceId,
          dataClass: v.dataClass,
          path: v.path,
          rule: v.rule,
        }),
        i,
        {
          severity: v.severity,
          count: v.count,
          bytesExposed: v.bytesExposed,
          firstOp: v.firstOp,
        },
      );
    }
    for (const f of report.failures) {
      const key = ['F', f.class, f.deviceId, f.rule].join('\u0000');
      merge(
        rowFor(key, {
          kind: 'failure',
          class: f.class,
          deviceId: f.deviceId,
          dataClass: null,
          path: null,
          rule: f.rule,
        }),
        i,
        {
          severity: f.severity,
          count: f.count,
          bytesExposed: 0,
          firstOp: f.firstOp,
        },
      );
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
        .reduce<Severity | null>(
          (worst, s) => (s === null ? worst : worst === null || severityRank[s] > severityRank[worst] ? s : worst),
          null,
        ),
    ),
  }));

  const seen = new Set<string>();
  const extraKeys = (prefix: string): string[] =>
    [...new Set(columns.flatMap(({ report }) => Object.keys(report.metrics).filter((k) => k.startsWith(prefix))))].sort(
      byText,
    );
  const deviceKeys = extraKeys('devices.').filter((k) => /\.(bounces|directMaps|errors|maxMappingBytes)$/.test(k));
  const violationKeys = extraKeys('violations.').sort((a, b) =>
    compareClassIds(a.split('.')[1] ?? '', b.split('.')[1] ?? ''),
  );
  const keys = [...headlineMetricKeys, ...violationKeys, ...deviceKeys].filter(
    (k) => !seen.has(k) && seen.add(k) !== undefined,
  );
  const metrics = keys
    .map((key) => ({ key, values: columns.map(({ report }) => report.metrics[key] ?? null) }))
    .filter((row) => row.values.some((v) => v !== null));

  const [first, ...rest] = columns.map((c) => reportResultSet(c.label, c.report));
  const changes = first ? compareResultSets(first, rest) : [];
  const changeSummaries = changes.map((c) =>
    comparisonLine(first?.label ?? '', countStatuses(c.findings), findingClassDeltas(c.findings)),
  );
  return {
    columns: columns.map((c) => c.label),
    verdicts: columns.map((c) => c.report.summary.verdict),
    classes,
    findings,
    metrics,
    changes,
    changeSummaries,
  };
}
