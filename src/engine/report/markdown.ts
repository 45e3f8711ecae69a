import type { MatrixWithChanges } from '../compare/matrix';
import { changedFindingLines } from '../compare/summary';
import { overlayVariantLabel } from '../overlays/index';
/**
 * Markdown renderings of a report (docs/engine-contract.md §9) and of a kernel comparison (`dmasim run --md`,
 * `dmasim run --matrix … --md`). Pure string functions: the same report gives the same text.
 */
import { compareClassIds, type MatrixCell, type MatrixComparison } from './matrix';
import type { EngineReport, MetricValue } from './report.types';

/** 1234567 → "1,234,567" without the host's locale (the engine has no environment). */
export function formatCount(value: number): string {
  const [whole = '0', fraction] = String(Math.abs(value)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** Bytes with a binary unit: "512 B", "4.0 KiB", "1.5 MiB", "2.00 GiB". */
export function formatBytes(value: number): string {
  if (value >= 2 ** 30) return `${(value / 2 ** 30).toFixed(2)} GiB`;
  if (value >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

/** A metric value for people: byte counts with units, other numbers grouped, strings as they are. */
export function formatMetric(key: string, value: MetricValue | null): string {
  if (value === null) return '–';
  if (typeof value === 'string') return value;
  if (/[Bb]ytes/.test(key)) return formatBytes(value);
  if (key.endsWith('Ns')) return `${formatCount(Math.round(value / 1000))} µs`;
  return formatCount(value);
}

/** The report's kernel, e.g. "v7.3 (lb) + device-cc-accepted (dan)"; "lb (lb)" shortens to "lb". */
export function kernelLabel(report: EngineReport): string {
  const overlays = report.overlays.map((o) => (o.variant ? `${o.name} (${overlayVariantLabel(o)})` : o.name));
  const profile = report.profile.replace(/^(\S+) \(\1\)$/, '$1');
  return [profile, ...overlays].join(' + ');
}

/** Metric keys every rendering shows when present (docs/engine-contract.md §8). */
export const reportHeadlineMetricKeys: readonly string[] = [
  'swiotlb.nslabs',
  'swiotlb.nareas',
  'swiotlb.hiwater',
  'swiotlb.bouncedBytesToDevice',
  'swiotlb.bouncedBytesFromDevice',
  'failedMaps',
  'failedCoherentAllocs',
  'conversions.decryptPages',
  'conversions.encryptPages',
  'conversions.leakedPages',
  'cost.bounceCopyNs',
  'cost.slotSearchNs',
];

/** Headline metrics of one report: the fixed keys, per-class exposure, per-device maps. */
export function headlineMetrics(report: EngineReport): Array<[string, MetricValue]> {
  const keys = Object.keys(report.metrics);
  const perClass = keys
    .filter((k) => k.startsWith('violations.'))
    .sort((a, b) => compareClassIds(a.split('.')[1] ?? '', b.split('.')[1] ?? ''));
  const perDevice = keys.filter((k) => /^devices\..+\.(maxMappingBytes|bounces|directMaps|errors)$/.test(k)).sort();
  return [...reportHeadlineMetricKeys, ...perClass, ...perDevice].flatMap((k) => {
    const value = report.metrics[k];
    return value === undefined ? [] : [[k, value] as [string, MetricValue]];
  });
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const row = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
const table = (head: readonly string[], body: readonly (readonly string[])[]): string[] => [
  row(head),
  `|${head.map(() => '---').join('|')}|`,
  ...body.map(row),
];

/**
 * One line of what the verdict rests on: every level that applies, findings per severity, affected
 * operations per class, failed operations and bytes exposed, e.g. "exposes-secrets + failing —
 * findings: 2 critical, 1 high, 0 info; V1 × 3, F5 × 9,958; 9,958 failed ops; 12.0 KiB exposed".
 */
export function verdictLine(summary: EngineReport['summary']): string {
  const classes = Object.entries(summary.byClass)
    .map(([id, n]) => `${id} × ${formatCount(n)}`)
    .join(', ');
  return [
    `${summary.levels.join(' + ')} — findings: ${summary.bySeverity.critical} critical, ${summary.bySeverity.high} high, ${summary.bySeverity.info} info`,
    ...(classes ? [classes] : []),
    `${formatCount(summary.failedOperations)} failed ops`,
    `${formatBytes(summary.bytesExposed)} exposed`,
  ].join('; ');
}

/** Renders one report as Markdown: verdict, violations, failures, headline metrics, boot log. */
export function renderReportMarkdown(report: EngineReport, title: string = report.specHash.slice(0, 12)): string {
  const lines = [
    `## ${title}: ${report.summary.verdict}`,
    '',
    `Platform \`${report.platform}\`, kernel \`${kernelLabel(report)}\`, seed ${report.seed}, ${formatCount(report.summary.operations)} operations, engine ${report.engineVersion}.`,
    '',
    `Verdict: ${verdictLine(report.summary)}.`,
    '',
    '### Violations',
    '',
  ];
  if (report.violations.length === 0) lines.push('None.');
  else
    lines.push(
      ...table(
        ['class', 'severity', 'device', 'data', 'bytes exposed', 'ops', 'first op', 'rule', 'path', 'explanation'],
        report.violations.map((v) => [
          v.class,
          v.severity,
          v.deviceId,
          v.dataClass,
          formatBytes(v.bytesExposed),
          formatCount(v.count),
          formatCount(v.firstOp),
          v.rule,
          v.path,
          v.explanation,
        ]),
      ),
    );
  lines.push('', '### Failures', '');
  if (report.failures.length === 0) lines.push('None.');
  else
    lines.push(
      ...table(
        ['class', 'severity', 'device', 'ops', 'first op', 'rule', 'kernel log', 'explanation'],
        report.failures.map((f) => [
          f.class,
          f.severity,
          f.deviceId,
          formatCount(f.count),
          formatCount(f.firstOp),
          f.rule,
          f.kernelLogLine === null ? '–' : `\`${f.kernelLogLine}\``,
          f.explanation,
        ]),
      ),
    );
  lines.push(
    '',
    '### Metrics',
    '',
    ...table(
      ['metric', 'value'],
      headlineMetrics(report).map(([k, v]) => [`\`${k}\``, formatMetric(k, v)]),
    ),
  );
  const boot = report.kernelLog.filter((l) => l.op < 0).map((l) => l.text);
  if (boot.length > 0) lines.push('', '### Boot log', '', '```', ...boot, '```');
  lines.push('', `Costs are modelled, not measured. resultHash \`${report.resultHash}\``, '');
  return lines.join('\n');
}

function matrixCellText(c: MatrixCell | null, kind: 'violation' | 'failure'): string {
  if (c === null) return '–';
  return kind === 'violation'
    ? `${c.severity}, ${formatBytes(c.bytesExposed)}, ${formatCount(c.count)} ops`
    : `${formatCount(c.count)} ops`;
}

/** Renders a kernel comparison as Markdown: verdicts, classes, matched findings, metrics. */
export function renderMatrixMarkdown(
  comparison: MatrixComparison & Partial<Pick<MatrixWithChanges, 'changes' | 'changeSummaries'>>,
  title: string,
): string {
  const head = (first: string): string[] => [first, ...comparison.columns.map((c) => `\`${c}\``)];
  const lines = [
    `## ${title}: kernel comparison`,
    '',
    ...table(head(''), [['verdict', ...comparison.verdicts]]),
    '',
    '### Classes',
    '',
  ];
  if (comparison.classes.length === 0) lines.push('No violations or failures under any kernel.');
  else
    lines.push(
      ...table(
        head('class'),
        comparison.classes.map((c) => [c.class, ...c.cells.map((s) => s ?? '–')]),
      ),
    );
  lines.push('', '### Findings', '');
  if (comparison.findings.length === 0) lines.push('None.');
  else
    lines.push(
      ...table(
        [...head('finding'), 'path'],
        comparison.findings.map((f) => [
          `${f.class} ${f.deviceId}${f.dataClass === null ? '' : ` ${f.dataClass}`} (${f.rule})`,
          ...f.cells.map((c) => matrixCellText(c, f.kind)),
          f.path ?? '–',
        ]),
      ),
    );
  if (comparison.changes?.length) {
    lines.push('', `### Changes against \`${comparison.columns[0] ?? ''}\``, '');
    comparison.changes.forEach((column, i) => {
      lines.push(`- \`${column.label}\`: ${comparison.changeSummaries?.[i] ?? ''}`);
      for (const line of changedFindingLines(column.findings)) lines.push(`  - ${line}`);
    });
  }
  lines.push(
    '',
    '### Metrics',
    '',
    ...table(
      head('metric'),
      comparison.metrics.map((m) => [`\`${m.key}\``, ...m.values.map((v) => formatMetric(m.key, v))]),
    ),
    '',
  );
  return lines.join('\n');
}
