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
  return junitDocument({
    name: context.suiteName,
    id: context.batchId,
    tests: entries.length,
    failures: entries.filter((e) => e.verdict === 'REGRESSED').length,
    errors: entries.filter((e) => e.verdict === 'ERROR').length,
    skipped: entries.filter((e) => e.verdict === 'NOT_COMPARABLE').length,
    properties: [
      ['batchId', context.batchId],
      ['baselineBatchId', context.baselineBatchId ?? ''],
      ['verdict', context.comparison.verdict],
      ['engineVersion', context.engineVersion],
    ],
    cases: entries.map((entry) =>
      junitTestCase({
        suiteName: context.suiteName,
        scenarioName: entry.scenarioName,
        entryName: entry.entryName,
        profile: entry.profile,
        body: testCaseBody(entry),
        systemOut: entrySummary(entry),
      }),
    ),
  });
}

/** The JUnit document around the test cases: one <testsuite> in <testsuites>, both carrying the counts. */
function junitDocument(suite: {
  readonly name: string;
  readonly id: string;
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
  /** <property> name and value pairs, in order; the values are escaped here. */
  readonly properties: ReadonlyArray<readonly [string, string]>;
  readonly cases: readonly string[];
}): string {
  // Jenkins' junit-4.xsd (test/fixtures/schemas) allows `skipped` on <testsuite> only, and <skipped> as text.
  const counts = `tests="${suite.tests}" failures="${suite.failures}" errors="${suite.errors}"`;
  const properties = suite.properties
    .map(([name, value]) => `      <property name="${name}" value="${xmlEscape(value)}"/>\n`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="dmasim" ${counts}>\n` +
    `  <testsuite name="${xmlEscape(suite.name)}" ${counts} skipped="${suite.skipped}" id="${xmlEscape(suite.id)}">\n` +
    `    <properties>\n${properties}    </properties>\n` +
    suite.cases.join('') +
    '  </testsuite>\n</testsuites>\n'
  );
}

/** One JUnit <testcase> of a scenario × entry: `body` is its already escaped failure/error/skipped elements. */
function junitTestCase(test: {
  readonly suiteName: string;
  readonly scenarioName: string;
  readonly entryName: string;
  readonly profile: string;
  readonly body: string;
  readonly systemOut: string;
}): string {
  return `    <testcase classname="${xmlEscape(`dmasim.${test.suiteName}.${test.scenarioName}`)}" name="${xmlEscape(`${test.entryName} (${test.profile})`)}" time="0">\n${test.body}      <system-out>${xmlEscape(test.systemOut)}</system-out>\n    </testcase>\n`;
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

type SarifLevel = 'error' | 'warning' | 'note';

/**
 * The part of a SARIF result every export shares: rule, level, message, the scenario file as the
 * location (the kernel path, when there is one, as a logical location) and the fingerprint;
 * `extra` comes before `properties` (key order is the serialised order).
 */
function sarifResult(result: {
  readonly finding: { readonly class: string; readonly fingerprint: string };
  readonly classes: readonly string[];
  readonly level: SarifLevel;
  readonly message: string;
  readonly scenarioName: string;
  readonly kernelPath: string | null;
  readonly extra?: Record<string, unknown>;
  readonly properties: Record<string, unknown>;
}): Record<string, unknown> {
  const { finding, kernelPath } = result;
  return {
    ruleId: finding.class,
    ruleIndex: result.classes.indexOf(finding.class),
    level: result.level,
    message: { text: result.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: `scenarios/${encodeURIComponent(result.scenarioName)}.yaml` },
          region: { startLine: 1 },
        },
        ...(kernelPath === null ? {} : { logicalLocations: [{ fullyQualifiedName: kernelPath, kind: 'function' }] }),
      },
    ],
    partialFingerprints: { 'dmasimFingerprint/v1': finding.fingerprint },
    ...result.extra,
    properties: result.properties,
  };
}

/**
 * The SARIF 2.1.0 log around the results: one rule per class in `classes`, described by the first
 * finding of that class (its explanation and level).
 */
function sarifLog<F extends { readonly class: string; readonly explanation: string }>(log: {
  readonly engineVersion: string;
  readonly automationId: string;
  readonly classes: readonly string[];
  readonly findings: readonly F[];
  readonly levelOf: (finding: F) => SarifLevel;
  readonly results: readonly Record<string, unknown>[];
  readonly properties: Record<string, unknown>;
}): Record<string, unknown> {
  const rules = log.classes.map((cls) => {
    const example = log.findings.find((f) => f.class === cls);
    return sarifRule(cls, example?.explanation ?? cls, example ? log.levelOf(example) : 'warning');
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dmasim',
            version: log.engineVersion,
            informationUri: 'https://github.com/dmasim/dmasim',
            rules,
          },
        },
        automationDetails: { id: log.automationId },
        results: log.results,
        properties: log.properties,
      },
    ],
  };
}

/** SARIF 2.1.0 log: one rule per violation class; results carry the explanation, the kernel path and the fingerprint. */
export function toSarif(context: ExportContext): Record<string, unknown> {
  const findings = context.comparison.entries.flatMap((entry) =>
    entry.findings.filter((f) => f.change !== 'FIXED').map((f) => ({ entry, f })),
  );
  const classes = [...new Set(findings.map(({ f }) => f.class))].sort();
  const levelOf = (f: FindingDiff): SarifLevel => severityLevel[f.severity] ?? 'warning';
  const results = findings.map(({ entry, f }) =>
    sarifResult({
      finding: f,
      classes,
      level: levelOf(f),
      message: `${f.explanation} (device ${f.deviceId}, ${f.bytesExposed} bytes of ${f.class}, kernel path ${f.path}, rule ${f.rule})`,
      scenarioName: entry.scenarioName,
      kernelPath: f.path,
      extra: {
        // A NEW finding that is a fixed baseline finding's exposure through another path or rule moved: unchanged.
        baselineState: f.sameExposureAs !== null && f.change !== 'FIXED' ? 'unchanged' : baselineState[f.change],
        ...(f.waived
          ? { suppressions: [{ kind: 'external', status: 'accepted', justification: f.waiver?.reason ?? 'waived' }] }
          : {}),
      },
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
    }),
  );
  return sarifLog({
    engineVersion: context.engineVersion,
    automationId: `dmasim/${context.suiteName}/${context.batchId}`,
    classes,
    findings: findings.map(({ f }) => f),
    levelOf,
    results,
    properties: { verdict: context.comparison.verdict, baselineBatchId: context.baselineBatchId },
  });
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
    const systemOut = [
      `${run.levels.join(' + ') || run.status}: ${run.scenarioName} × ${run.entryName}, run ${run.runId}`,
      ...run.findings.map((f) => `  ${findingMeetsGate(context.gate, f) ? 'FAIL' : 'ok  '} ${findingText(f)}`),
    ].join('\n');
    return junitTestCase({
      suiteName: context.name,
      scenarioName: run.scenarioName,
      entryName: run.entryName,
      profile: run.profile,
      body,
      systemOut,
    });
  });
  return junitDocument({
    name: context.name,
    id: context.id,
    tests: context.runs.length,
    failures: context.runs.filter((r) => r.status === 'SUCCEEDED' && gated(r).length > 0).length,
    errors: context.runs.filter((r) => r.status !== 'SUCCEEDED' && !unfinished(r)).length,
    skipped: context.runs.filter(unfinished).length,
    properties: [
      ['id', context.id],
      ['failOn', context.gateText],
      ['engineVersion', context.engineVersion],
    ],
    cases,
  });
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
  const levelOf = (f: RunFinding): SarifLevel =>
    findingMeetsGate(context.gate, f) ? 'error' : f.severity === 'info' ? 'note' : 'warning';
  const results = findings.map(({ run, f }) =>
    sarifResult({
      finding: f,
      classes,
      level: levelOf(f),
      message: `${f.explanation} (${findingText(f)})`,
      scenarioName: run.scenarioName,
      // A failure has no kernel path; an empty one names no location either.
      kernelPath: f.path || null,
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
    }),
  );
  return sarifLog({
    engineVersion: context.engineVersion,
    automationId: `dmasim/${context.name}/${context.id}`,
    classes,
    findings: findings.map(({ f }) => f),
    levelOf,
    results,
    properties: {
      failOn: context.gateText,
      verdicts: context.runs.map((r) => ({ runId: r.runId, status: r.status, levels: r.levels })),
    },
  });
}
