import { explainId, type FindingGate, findingMeetsGate } from '../../engine/index';
import type { ComparisonResult, EntryComparison, FindingDiff } from './regression.types';

/**
 * CI exports of a suite batch's comparison: JUnit XML (one test case per scenario × entry),
 * SARIF 2.1.0 (one rule per violation class), metric series as CSV and a Markdown report. Pure
 * functions of stored data, so the GraphQL fields and the HTTP routes return identical bytes.
 */
export interface ExportContext {
  readonly suiteName: string;
  readonly batchId: string;
  readonly baselineBatchId: string | null;
  readonly engineVersion: string;
  readonly comparison: ComparisonResult;
  /** What is exported: a suite batch (default), a matrix run batch or one run; the Markdown names it so. */
  readonly subject?: 'suite batch' | 'run batch' | 'run';
}

export function xmlEscape(text: string): string {
  // Characters XML 1.0 forbids are dropped; the five specials are escaped.
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/gu, '')
      .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
  );
}

/** JUnit XML: REGRESSED → <failure>, ERROR → <error>, NOT_COMPARABLE → <skipped>, PASS/IMPROVED pass. */
export function toJunitXml(context: ExportContext): string {
  const entries = context.comparison.entries;
  const failures = entries.filter((e) => e.verdict === 'REGRESSED').length;
  const errors = entries.filter((e) => e.verdict === 'ERROR').length;
  const skipped = entries.filter((e) => e.verdict === 'NOT_COMPARABLE').length;
  // Jenkins' junit-4.xsd (test/fixtures/schemas) allows `skipped` on <testsuite> only, and <skipped> as text.
  const counts = `tests="${entries.length}" failures="${failures}" errors="${errors}"`;
  const cases = entries.map((entry) => {
    const body = testCaseBody(entry);
    const out = `      <system-out>${xmlEscape(entrySummary(entry))}</system-out>\n`;
    return `    <testcase classname="${xmlEscape(`dmasim.${context.suiteName}.${entry.scenarioName}`)}" name="${xmlEscape(`${entry.entryName} (${entry.profile})`)}" time="0">\n${body}${out}    </testcase>\n`;
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="dmasim" ${counts}>\n` +
    `  <testsuite name="${xmlEscape(context.suiteName)}" ${counts} skipped="${skipped}" id="${xmlEscape(context.batchId)}">\n` +
    `    <properties>\n      <property name="batchId" value="${xmlEscape(context.batchId)}"/>\n      <property name="baselineBatchId" value="${xmlEscape(context.baselineBatchId ?? '')}"/>\n      <property name="verdict" value="${context.comparison.verdict}"/>\n      <property name="engineVersion" value="${xmlEscape(context.engineVersion)}"/>\n    </properties>\n` +
    cases.join('') +
    '  </testsuite>\n</testsuites>\n'
  );
}

function testCaseBody(entry: EntryComparison): string {
  const reasons = xmlEscape(entry.reasons.join('\n'));
  const first = xmlEscape(entry.reasons[0] ?? entry.verdict);
  if (entry.verdict === 'REGRESSED') return `      <failure type="REGRESSED" message="${first}">${reasons}</failure>\n`;
  if (entry.verdict === 'ERROR') return `      <error type="ERROR" message="${first}">${reasons}</error>\n`;
  if (entry.verdict === 'NOT_COMPARABLE') return `      <skipped>not comparable: ${first}</skipped>\n`;
  return '';
}

function entrySummary(entry: EntryComparison): string {
  const lines = [
    `${entry.verdict}: ${entry.scenarioName} × ${entry.entryName} (${entry.baselineProfile ?? '-'} → ${entry.profile}), run ${entry.candidateRunId}`,
  ];
  for (const f of entry.findings)
    lines.push(
      `  ${f.change}${f.waived ? ' (waived)' : ''} ${f.class}/${f.severity} ${f.deviceId} bytes ${f.bytesExposed} via ${f.path} [${f.fingerprint}]`,
    );
  for (const m of entry.metrics)
    if (m.delta !== null && m.delta !== '0')
      lines.push(
        `  ${m.metric}: ${m.baseline ?? '-'} → ${m.candidate ?? '-'} (${m.delta})${m.breached ? ' BREACH' : ''}`,
      );
  return lines.join('\n');
}

const severityLevel: Record<string, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
const baselineState: Record<FindingDiff['change'], 'new' | 'unchanged' | 'absent'> = {
  NEW: 'new',
  REOPENED: 'new',
  PERSISTING: 'unchanged',
  FIXED: 'absent',
};

/** Where the rule ids and classes are explained (SARIF helpUri). */
export const rulesAndClassesUri = 'https://github.com/dmasim/dmasim/blob/main/docs/rules-and-classes.md';

/** A SARIF rule for a class (V0–V9, F1–F16), with its help from the engine's legend (what it means, what to do). */
export function sarifRule(
  cls: string,
  fallbackDescription: string,
  level: 'error' | 'warning' | 'note',
): Record<string, unknown> {
  const legend = explainId(cls);
  const kind = cls.startsWith('F') ? 'FunctionalFailure' : 'ConfidentialityViolation';
  const title = legend?.title ?? `dmasim class ${cls}`;
  const help = legend?.description ?? fallbackDescription;
  return {
    id: cls,
    name: `${kind}${cls}`,
    shortDescription: { text: `${cls}: ${title}` },
    fullDescription: { text: help },
    help: {
      text: `${cls}: ${title}. ${help}${legend ? ` Kernel function: ${legend.kernelFunction}.` : ''} See docs/rules-and-classes.md (or run \`dmasim explain ${cls}\`).`,
      markdown: `**${cls}: ${title}.** ${help}${legend ? ` Kernel function: \`${legend.kernelFunction}\`.` : ''} See [rules and classes](${rulesAndClassesUri}) or run \`dmasim explain ${cls}\`.`,
    },
    helpUri: rulesAndClassesUri,
    defaultConfiguration: { level },
  };
}

/** SARIF 2.1.0 log: one rule per violation class; results carry the explanation, the kernel path and the fingerprint. */
export function toSarif(context: ExportContext): Record<string, unknown> {
  const findings = context.comparison.entries.flatMap((entry) =>
    entry.findings.filter((f) => f.change !== 'FIXED').map((f) => ({ entry, f })),
  );
  const classes = [...new Set(findings.map(({ f }) => f.class))].sort();
  const rules = classes.map((cls) => {
    const example = findings.find(({ f }) => f.class === cls)?.f;
    return sarifRule(cls, example?.explanation ?? cls, severityLevel[example?.severity ?? ''] ?? 'warning');
  });
  const results = findings.map(({ entry, f }) => ({
    ruleId: f.class,
    ruleIndex: classes.indexOf(f.class),
    level: severityLevel[f.severity] ?? 'warning',
    message: {
      text: `${f.explanation} (device ${f.deviceId}, ${f.bytesExposed} bytes of ${f.class}, kernel path ${f.path}, rule ${f.rule})`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: `scenarios/${encodeURIComponent(entry.scenarioName)}.yaml` },
          region: { startLine: 1 },
        },
        logicalLocations: [{ fullyQualifiedName: f.path, kind: 'function' }],
      },
    ],
    partialFingerprints: { 'dmasimFingerprint/v1': f.fingerprint },
    // A NEW finding that is a fixed baseline finding's exposure through another path or rule moved: unchanged.
    baselineState: f.sameExposureAs !== null && f.change !== 'FIXED' ? 'unchanged' : baselineState[f.change],
    ...(f.waived
      ? { suppressions: [{ kind: 'external', status: 'accepted', justification: f.waiver?.reason ?? 'waived' }] }
      : {}),
    properties: {
      scenario: entry.scenarioName,
      entry: entry.entryName,
      profile: entry.profile,
      runId: entry.candidateRunId,
      deviceId: f.deviceId,
      severity: f.severity,
      count: f.count,
      bytesExposed: f.bytesExposed,
      rule: f.rule,
      change: f.change,
    },
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dmasim',
            version: context.engineVersion,
            informationUri: 'https://github.com/dmasim/dmasim',
            rules,
          },
        },
        automationDetails: { id: `dmasim/${context.suiteName}/${context.batchId}` },
        results,
        properties: { verdict: context.comparison.verdict, baselineBatchId: context.baselineBatchId },
      },
    ],
  };
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Metric series as CSV (RFC 4180): one row per sample, full resolution. */
export function toSeriesCsv(
  rows: ReadonlyArray<{
    runId: string;
    scenario: string;
    entry: string;
    profile: string;
    metric: string;
    t: bigint;
    value: number;
  }>,
): string {
  const lines = ['run_id,scenario,entry,profile,metric,t,value'];
  for (const row of rows)
    lines.push(
      [row.runId, row.scenario, row.entry, row.profile, row.metric, row.t.toString(), String(row.value)]
        .map(csvField)
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A run's verdict levels (the run verdict model), worst first: "exposes-secrets + failing"; "-" for none (a run that did not succeed). */
function levelsText(levels: readonly string[]): string {
  return levels.length === 0 ? '-' : levels.join(' + ');
}

/** The comparison as a Markdown report (PR comments, job summaries), with each run's verdict levels beside the comparison's verdict. */
export function toMarkdown(context: ExportContext): string {
  const { comparison } = context;
  const c = comparison.counts;
  const lines = [
    context.subject === 'run'
      ? `# dmasim run report: ${mdCell(context.suiteName)}`
      : `# dmasim regression report: ${mdCell(context.suiteName)}`,
    '',
    context.subject === 'run'
      ? `**Verdict: ${comparison.verdict}** — run \`${context.batchId}\` (no baseline: a single run is not compared), engine ${context.engineVersion}`
      : `**Verdict: ${comparison.verdict}** — ${context.subject === 'run batch' ? 'matrix batch' : 'batch'} \`${context.batchId}\` vs baseline ${context.baselineBatchId ? `\`${context.baselineBatchId}\`` : '(none)'}, engine ${context.engineVersion}`,
    '',
    `New ${c.new} (${c.moved} of them the same exposure as a fixed baseline finding via another kernel path or rule) · reopened ${c.reopened} · fixed ${c.fixed} · persisting ${c.persisting} · waived ${c.waived} · threshold breaches ${c.thresholdBreaches}`,
    '',
    '| scenario | entry | profile (baseline → candidate) | run verdict levels (baseline → candidate) | verdict | reasons |',
    '|---|---|---|---|---|---|',
    ...comparison.entries.map(
      (e) =>
        `| ${mdCell(e.scenarioName)} | ${mdCell(e.entryName)} | ${mdCell(`${e.baselineProfile ?? '-'} → ${e.profile}`)} | ${mdCell(`${e.baselineLevels === null ? '-' : levelsText(e.baselineLevels)} → ${levelsText(e.levels)}`)} | ${e.verdict} | ${mdCell(e.reasons.join('; ') || '-')} |`,
    ),
  ];
  const findings = comparison.entries.flatMap((e) => e.findings.map((f) => ({ e, f })));
  if (findings.length > 0) {
    lines.push(
      '',
      '## Violations',
      '',
      '| change | class/severity | scenario × entry | device | bytes (baseline → now) | kernel path | waiver |',
      '|---|---|---|---|---|---|---|',
    );
    for (const { e, f } of findings) {
      lines.push(
        `| ${f.change}${f.counts ? ' ❌' : ''}${f.sameExposureAs && f.change !== 'FIXED' ? ' (same exposure, path/rule changed)' : ''} | ${f.class}/${f.severity} | ${mdCell(`${e.scenarioName} × ${e.entryName}`)} | ${mdCell(f.deviceId)} | ${f.baselineBytesExposed ?? '-'} → ${f.bytesExposed} | ${mdCell(f.path)} | ${f.waived ? mdCell(`${f.waiver?.reason ?? ''} (${f.waiver?.owner ?? 'no owner'}, until ${f.waiver?.expiresAt ?? 'no expiry'})`) : '-'} |`,
      );
    }
  }
  const metrics = comparison.entries.flatMap((e) =>
    e.metrics.filter((m) => m.threshold || (m.delta !== null && m.delta !== '0')).map((m) => ({ e, m })),
  );
  if (metrics.length > 0) {
    lines.push(
      '',
      '## Metrics',
      '',
      '| scenario × entry | metric | baseline | candidate | delta | gate |',
      '|---|---|---|---|---|---|',
    );
    for (const { e, m } of metrics)
      lines.push(
        `| ${mdCell(`${e.scenarioName} × ${e.entryName}`)} | ${mdCell(m.metric)} | ${m.baseline ?? '-'} | ${m.candidate ?? '-'} | ${m.delta ?? '-'} | ${m.breached ? `❌ ${mdCell(m.breachReason ?? '')}` : m.threshold ? 'ok' : '-'} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** The CI formats a comparison exports to. */
export type ExportFormat = 'JUNIT' | 'SARIF' | 'CSV' | 'MARKDOWN';

/** One exported file as the HTTP routes send it. */
export interface ExportFile {
  readonly contentType: string;
  readonly body: string;
  readonly fileName: string;
}

export type SeriesRow = {
  runId: string;
  scenario: string;
  entry: string;
  profile: string;
  metric: string;
  t: bigint;
  value: number;
};

/**
 * The one switch from a format to its file: every export (suite batch, run, matrix batch) goes
 * through here, so content types and file names cannot drift between them. `seriesRows` is read
 * only for CSV, the one format that needs the stored samples.
 */
export async function renderExport(
  context: ExportContext,
  format: ExportFormat,
  seriesRows: () => Promise<readonly SeriesRow[]>,
): Promise<ExportFile> {
  switch (format) {
    case 'JUNIT':
      return { contentType: 'application/xml; charset=utf-8', body: toJunitXml(context), fileName: 'junit.xml' };
    case 'SARIF':
      return {
        contentType: 'application/sarif+json; charset=utf-8',
        body: `${JSON.stringify(toSarif(context), null, 2)}\n`,
        fileName: 'results.sarif',
      };
    case 'MARKDOWN':
      return { contentType: 'text/markdown; charset=utf-8', body: toMarkdown(context), fileName: 'report.md' };
    case 'CSV':
      return { contentType: 'text/csv; charset=utf-8', body: toSeriesCsv(await seriesRows()), fileName: 'series.csv' };
  }
}

/** A finding of one run as the run-level exports read it: a stored violation, or a failure from the report. */
export interface RunFinding {
  readonly kind: 'violation' | 'failure';
  readonly class: string;
  readonly severity: string;
  readonly deviceId: string;
  /** The kernel path (violations); null for failures. */
  readonly path: string | null;
  readonly rule: string;
  readonly explanation: string;
  readonly fingerprint: string;
  readonly count: string;
  readonly bytesExposed: string;
  readonly dataClass: string | null;
  /** The kernel's log line (failures), when it prints one. */
  readonly kernelLogLine: string | null;
}

/** One run of a run-level export: its identity, final state, verdict and findings. */
export interface ExportedRun {
  readonly runId: string;
  readonly scenarioName: string;
  readonly entryName: string;
  readonly profile: string;
  readonly status: string;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  /** Every verdict level that applies (empty unless SUCCEEDED). */
  readonly levels: readonly string[];
  readonly findings: readonly RunFinding[];
}

/** Runs exported without a baseline: findings at or above `gate` fail (JUnit failures, SARIF `error` results). */
export interface RunExportContext {
  readonly name: string;
  readonly id: string;
  readonly engineVersion: string;
  readonly gate: FindingGate;
  /** The gate as the caller wrote it, e.g. "high" or "critical,F5". */
  readonly gateText: string;
  readonly runs: readonly ExportedRun[];
}

const findingText = (f: RunFinding): string =>
  f.kind === 'violation'
    ? `${f.class} ${f.severity} ${f.deviceId}: ${f.bytesExposed} bytes of ${f.dataClass ?? 'data'} exposed in ${f.count} ops via ${f.path ?? '-'} (rule ${f.rule})`
    : `${f.class} ${f.severity} ${f.deviceId}: ${f.count} ops failed (rule ${f.rule})${f.kernelLogLine ? `; kernel log: ${f.kernelLogLine}` : ''}`;

/**
 * Run-level JUnit XML: one test case per run; each finding meeting the gate is a `<failure>` (type
 * = class, severity in the message), a run that did not succeed is an `<error>` (QUEUED or RUNNING
 * runs are `<skipped>`); findings below the gate are listed in system-out.
 */
export function toRunJunitXml(context: RunExportContext): string {
  const gated = (run: ExportedRun): RunFinding[] => run.findings.filter((f) => findingMeetsGate(context.gate, f));
  const unfinished = (run: ExportedRun): boolean => run.status === 'QUEUED' || run.status === 'RUNNING';
  const failed = context.runs.filter((r) => r.status === 'SUCCEEDED' && gated(r).length > 0).length;
  const errors = context.runs.filter((r) => r.status !== 'SUCCEEDED' && !unfinished(r)).length;
  const skipped = context.runs.filter(unfinished).length;
  const counts = `tests="${context.runs.length}" failures="${failed}" errors="${errors}"`;
  const cases = context.runs.map((run) => {
    let body = '';
    if (unfinished(run)) body = `      <skipped>run ${xmlEscape(run.runId)} is ${run.status}</skipped>\n`;
    else if (run.status !== 'SUCCEEDED')
      body = `      <error type="${xmlEscape(run.errorCode ?? run.status)}" message="${xmlEscape(`${run.status}: ${run.errorMessage ?? run.errorCode ?? ''}`)}"/>\n`;
    else
      body = gated(run)
        .map(
          (f) =>
            `      <failure type="${xmlEscape(f.class)}" message="${xmlEscape(`${f.class} ${f.severity} on ${f.deviceId} (fails --fail-on ${context.gateText})`)}">${xmlEscape(`${findingText(f)}\n${f.explanation}\nfingerprint ${f.fingerprint}`)}</failure>\n`,
        )
        .join('');
    const out = [
      `${run.levels.join(' + ') || run.status}: ${run.scenarioName} × ${run.entryName}, run ${run.runId}`,
      ...run.findings.map((f) => `  ${findingMeetsGate(context.gate, f) ? 'FAIL' : 'ok  '} ${findingText(f)}`),
    ].join('\n');
    return `    <testcase classname="${xmlEscape(`dmasim.${context.name}.${run.scenarioName}`)}" name="${xmlEscape(`${run.entryName} (${run.profile})`)}" time="0">\n${body}      <system-out>${xmlEscape(out)}</system-out>\n    </testcase>\n`;
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="dmasim" ${counts}>\n` +
    `  <testsuite name="${xmlEscape(context.name)}" ${counts} skipped="${skipped}" id="${xmlEscape(context.id)}">\n` +
    `    <properties>\n      <property name="id" value="${xmlEscape(context.id)}"/>\n      <property name="failOn" value="${xmlEscape(context.gateText)}"/>\n      <property name="engineVersion" value="${xmlEscape(context.engineVersion)}"/>\n    </properties>\n` +
    cases.join('') +
    '  </testsuite>\n</testsuites>\n'
  );
}

/**
 * Run-level SARIF 2.1.0: one result per finding (violations and failures), `error` when it meets
 * the gate, else `warning` (critical or high) or `note` (info); one rule per class with the
 * legend's help. No baseline, so no baselineState.
 */
export function toRunSarif(context: RunExportContext): Record<string, unknown> {
  const findings = context.runs.flatMap((run) => run.findings.map((f) => ({ run, f })));
  const classes = [...new Set(findings.map(({ f }) => f.class))].sort((a, b) =>
    a[0] === b[0] ? Number(a.slice(1)) - Number(b.slice(1)) : a[0] === 'V' ? -1 : 1,
  );
  const levelOf = (f: RunFinding): 'error' | 'warning' | 'note' =>
    findingMeetsGate(context.gate, f) ? 'error' : f.severity === 'info' ? 'note' : 'warning';
  const rules = classes.map((cls) => {
    const example = findings.find(({ f }) => f.class === cls)?.f;
    return sarifRule(cls, example?.explanation ?? cls, example ? levelOf(example) : 'warning');
  });
  const results = findings.map(({ run, f }) => ({
    ruleId: f.class,
    ruleIndex: classes.indexOf(f.class),
    level: levelOf(f),
    message: { text: `${f.explanation} (${findingText(f)})` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: `scenarios/${encodeURIComponent(run.scenarioName)}.yaml` },
          region: { startLine: 1 },
        },
        ...(f.path ? { logicalLocations: [{ fullyQualifiedName: f.path, kind: 'function' }] } : {}),
      },
    ],
    partialFingerprints: { 'dmasimFingerprint/v1': f.fingerprint },
    properties: {
      scenario: run.scenarioName,
      entry: run.entryName,
      profile: run.profile,
      runId: run.runId,
      kind: f.kind,
      deviceId: f.deviceId,
      severity: f.severity,
      count: f.count,
      bytesExposed: f.bytesExposed,
      rule: f.rule,
      meetsGate: findingMeetsGate(context.gate, f),
      ...(f.kernelLogLine ? { kernelLogLine: f.kernelLogLine } : {}),
    },
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dmasim',
            version: context.engineVersion,
            informationUri: 'https://github.com/dmasim/dmasim',
            rules,
          },
        },
        automationDetails: { id: `dmasim/${context.name}/${context.id}` },
        results,
        properties: {
          failOn: context.gateText,
          verdicts: context.runs.map((r) => ({ runId: r.runId, status: r.status, levels: r.levels })),
        },
      },
    ],
  };
}
