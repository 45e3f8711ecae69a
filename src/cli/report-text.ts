import {
  type EngineReport,
  failureDetectors,
  type FailureClass,
  formatBytes,
  formatCount,
  formatMetric,
  headlineMetrics,
  kernelLabel,
  type MatrixComparison,
  type MatrixFindingRow,
  type MatrixWithChanges,
  changedFindingLines,
  verdictLine,
} from '../engine/index';

/** Lays out rows as left-aligned columns separated by two spaces (trailing blanks trimmed). */
export function columns(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) =>
    `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length))).join('  ')}`.trimEnd(),
  );
}

/** The readable rendering of a report: verdict, violations table, failures, headline metrics, boot log. */
export function renderReportText(file: string, report: EngineReport): string {
  const lines = [
    `${file}: ${report.summary.verdict.toUpperCase()} — ${report.platform}, kernel ${kernelLabel(report)}, seed ${report.seed}, ${formatCount(report.summary.operations)} ops`,
    `  verdict: ${verdictLine(report.summary)}`,
  ];
  if (report.violations.length === 0) lines.push('  violations: none');
  else {
    lines.push(`  violations (${report.violations.length}):`);
    const rows = [['class', 'severity', 'device', 'data', 'bytes', 'ops', 'first op', 'rule', 'path']];
    for (const v of report.violations)
      rows.push([
        v.class,
        v.severity,
        v.deviceId,
        v.dataClass,
        formatBytes(v.bytesExposed),
        formatCount(v.count),
        formatCount(v.firstOp),
        v.rule,
        v.path,
      ]);
    lines.push(...columns(rows, '    '));
    const explained = new Set<string>();
    for (const v of report.violations) {
      const text = `${v.class} (${v.rule}): ${v.explanation}`;
      if (!explained.has(text)) lines.push(`    · ${text}`);
      explained.add(text);
    }
  }
  if (report.failures.length === 0) lines.push('  failures: none');
  else {
    lines.push(`  failures (${report.failures.length}):`);
    const rows = [['class', 'severity', 'device', 'ops', 'first op', 'rule', 'kernel log']];
    for (const f of report.failures)
      rows.push([
        f.class,
        f.severity,
        f.deviceId,
        formatCount(f.count),
        formatCount(f.firstOp),
        f.rule,
        f.kernelLogLine ?? '–',
      ]);
    lines.push(...columns(rows, '    '));
    for (const f of report.failures) lines.push(`    · ${f.class} (${f.rule}): ${f.explanation}`);
  }
  lines.push(
    '  metrics:',
    ...columns(
      headlineMetrics(report).map(([k, v]) => [k, formatMetric(k, v)]),
      '    ',
    ),
  );
  const boot = report.kernelLog.filter((l) => l.op < 0).map((l) => l.text);
  if (boot.length) lines.push('  boot log:', ...boot.map((l) => `    ${l}`));
  lines.push(`  resultHash ${report.resultHash} (costs are modelled, not measured)`);
  return `${lines.join('\n')}\n`;
}

/** The readable rendering of a kernel comparison: one column per kernel. */
export function renderMatrixText(
  file: string,
  comparison: MatrixComparison & Partial<Pick<MatrixWithChanges, 'changes' | 'changeSummaries'>>,
  reports: readonly EngineReport[] = [],
): string {
  const head = ['', ...comparison.columns];
  const rows: string[][] = [head, ['verdict', ...comparison.verdicts]];
  const blank = (): string[] => head.map(() => '');
  rows.push(blank(), ['classes (worst severity)', ...head.slice(1).map(() => '')]);
  if (comparison.classes.length === 0) rows.push(['  none', ...head.slice(1).map(() => '')]);
  for (const c of comparison.classes) rows.push([`  ${c.class}`, ...c.cells.map((s) => s ?? '–')]);
  rows.push(blank(), ['findings', ...head.slice(1).map(() => '')]);
  if (comparison.findings.length === 0) rows.push(['  none', ...head.slice(1).map(() => '')]);
  comparison.findings.forEach((f, i) => {
    rows.push([
      `  [${i + 1}] ${f.class} ${f.deviceId}${f.dataClass === null ? '' : ` ${f.dataClass}`} ${f.rule}`,
      ...f.cells.map((c) =>
        c === null
          ? '–'
          : f.kind === 'violation'
            ? `${c.severity} ${formatBytes(c.bytesExposed)}`
            : `${formatCount(c.count)} ops`,
      ),
    ]);
  });
  rows.push(blank(), ['metrics', ...head.slice(1).map(() => '')]);
  for (const m of comparison.metrics) rows.push([`  ${m.key}`, ...m.values.map((v) => formatMetric(m.key, v))]);
  const details = comparison.findings.flatMap((f, i) => findingDetails(f, i + 1, reports));
  const changes = (comparison.changes ?? []).flatMap((column, i) => [
    `    ${column.label}: ${comparison.changeSummaries?.[i] ?? ''}`,
    ...changedFindingLines(column.findings).map((line) => `      ${line}`),
  ]);
  return `${[
    `${file}: kernel comparison`,
    ...columns(rows, '  '),
    ...(changes.length ? [`  changes (each column vs ${comparison.columns[0] ?? ''}):`, ...changes] : []),
    ...(details.length ? ['  finding paths and explanations:', ...details] : []),
  ].join('\n')}\n`;
}

/**
 * Path and explanation of one matched finding, taken from the first column's report that has it.
 * Failures have no exposure path: their path is the kernel function of the class and the rule.
 */
function findingDetails(f: MatrixFindingRow, index: number, reports: readonly EngineReport[]): string[] {
  const violation =
    f.kind === 'violation'
      ? reports
          .flatMap((r) => r.violations)
          .find((v) => v.class === f.class && v.deviceId === f.deviceId && v.rule === f.rule && v.path === f.path)
      : undefined;
  const failure =
    f.kind === 'failure'
      ? reports
          .flatMap((r) => r.failures)
          .find((x) => x.class === f.class && x.deviceId === f.deviceId && x.rule === f.rule)
      : undefined;
  const path =
    f.path ??
    (f.kind === 'failure' ? `${failureDetectors[f.class as FailureClass].kernelFunction}() (rule ${f.rule})` : null);
  const explanation = violation?.explanation ?? failure?.explanation;
  return [
    ...(path === null ? [] : [`    [${index}] ${path}`]),
    ...(explanation ? [`        ${explanation}`] : []),
    ...(failure?.kernelLogLine ? [`        kernel log: ${failure.kernelLogLine}`] : []),
  ];
}
