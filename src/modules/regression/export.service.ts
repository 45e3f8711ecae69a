import { ENGINE_VERSION, parseFindingGate } from '../../engine/index';
import { AppError, notFound } from '../../platform/app-error';
import type { ResultService } from '../result/result.service';
import type { Violation } from '../result/result.types';
import { violationForComparison } from '../run/run-reader.repository';
import type { RunService } from '../run/run.service';
import type { Run } from '../run/run.types';
import type { ScenarioService } from '../scenario/scenario.service';
import { encodeCursor } from '../common/cursor';
import type { Viewer } from '../team/team.types';
import { compareBatches } from './comparison';
import {
  type ExportContext,
  type ExportedRun,
  type ExportFile,
  type ExportFormat,
  renderExport,
  type RunFinding,
  type SeriesRow,
  toRunJunitXml,
  toRunSarif,
} from './exports';

/** The gate of run-level exports when the caller gives none: findings of high or critical severity fail. */
export const defaultRunExportGate = 'high';
import type { ComparedRun, StoredComparison, Suite, SuiteBatch, TriageDecision } from './regression.types';

/** What exports read of suite batches (implemented by the suite service). */
export interface SuiteBatchReader {
  suiteBatch(viewer: Viewer, id: string): Promise<SuiteBatch | undefined>;
  comparison(viewer: Viewer, batchId: string): Promise<StoredComparison | undefined>;
  suite(viewer: Viewer, id: string): Promise<Suite | undefined>;
}

/**
 * CI exports (JUnit, SARIF, CSV, Markdown) of a suite batch's stored comparison, of one run, and
 * of a matrix run batch. Every read goes through the owning feature's service.
 */
export class ExportService {
  constructor(
    private readonly suites: SuiteBatchReader,
    private readonly runs: RunService,
    private readonly results: ResultService,
    private readonly scenarios: ScenarioService,
  ) {}

  /** A batch's comparison in a CI format. NOT_FOUND for other teams' batches and for batches not compared yet. */
  async exportBatch(viewer: Viewer, batchId: string, format: ExportFormat): Promise<ExportFile> {
    const batch = await this.suites.suiteBatch(viewer, batchId);
    if (!batch) throw notFound('suite batch', batchId);
    const comparison = await this.suites.comparison(viewer, batchId);
    if (!comparison) throw new AppError('NOT_FOUND', `suite batch ${batchId} has no comparison yet (still running?)`);
    const suite = await this.suites.suite(viewer, batch.suiteId);
    if (!suite) throw notFound('suite', batch.suiteId);
    const context: ExportContext = {
      suiteName: suite.name,
      batchId,
      baselineBatchId: comparison.baselineBatchId,
      engineVersion: ENGINE_VERSION,
      comparison: comparison.detail,
    };
    return renderExport(context, format, async () => {
      const byRun = new Map(comparison.detail.entries.map((e) => [e.candidateRunId, e]));
      const samples = await this.results.samplesOfRuns(viewer, [...byRun.keys()]);
      return samples.map((s) => ({
        ...s,
        scenario: byRun.get(s.runId)?.scenarioName ?? '',
        entry: byRun.get(s.runId)?.entryName ?? '',
        profile: byRun.get(s.runId)?.profile ?? '',
      }));
    });
  }

  /**
   * One run exported without a baseline: JUnit and SARIF gate its findings on `failOn` (severities,
   * classes, verdict levels; default `high`), CSV and Markdown as a suite batch of one entry (see exportRuns).
   */
  async exportRun(
    viewer: Viewer,
    runId: string,
    format: ExportFormat,
    options: { failOn?: string | null } = {},
  ): Promise<ExportFile> {
    const run = await this.runs.getOrThrow(viewer, runId);
    return this.exportRuns(viewer, { id: runId, runs: [run], subject: 'run' }, format, options.failOn);
  }

  /** A matrix run batch exported like exportRun, one entry per run. */
  async exportRunBatch(
    viewer: Viewer,
    batchId: string,
    format: ExportFormat,
    options: { failOn?: string | null } = {},
  ): Promise<ExportFile> {
    const batch = await this.runs.batch(viewer, batchId);
    if (!batch) throw new AppError('NOT_FOUND', `run batch ${batchId} not found`);
    return this.exportRuns(viewer, { id: batchId, runs: batch.runs, subject: 'run batch' }, format, options.failOn);
  }

  /** JUnit or SARIF of runs without a baseline: each finding at or above the gate fails. */
  private async gatedRunExport(
    viewer: Viewer,
    set: { id: string; runs: readonly Run[] },
    format: 'JUNIT' | 'SARIF',
    failOn: string,
    scenarioNames: ReadonlyMap<string, string>,
  ): Promise<ExportFile> {
    const parsed = parseFindingGate(failOn);
    if (!parsed.ok) throw new AppError('BAD_USER_INPUT', `failOn: ${parsed.error}`);
    const runs: ExportedRun[] = [];
    for (const run of set.runs) {
      const violations: RunFinding[] = (await this.allViolations(viewer, run.id)).map((v) => ({
        kind: 'violation',
        class: v.class,
        severity: v.severity,
        deviceId: v.deviceId,
        path: v.path,
        rule: v.rule,
        explanation: v.explanation,
        fingerprint: v.fingerprint,
        count: v.count.toString(),
        bytesExposed: v.bytesExposed.toString(),
        dataClass: v.dataClass,
        kernelLogLine: null,
      }));
      const failures = run.status === 'SUCCEEDED' ? reportFailures(await this.results.report(viewer, run.id)) : [];
      runs.push({
        runId: run.id,
        scenarioName: scenarioNames.get(run.scenarioId) ?? run.scenarioId,
        entryName: entryName(run),
        profile: run.profile,
        status: run.status,
        errorCode: run.errorCode,
        errorMessage: run.errorMessage,
        levels: run.summary?.levels ?? [],
        findings: [...violations, ...failures],
      });
    }
    const names = [...new Set(scenarioNames.values())];
    const context = {
      name: names.length === 1 ? (names[0] ?? 'runs') : 'runs',
      id: set.id,
      engineVersion: set.runs[0]?.engineVersion ?? ENGINE_VERSION,
      gate: parsed.gate,
      gateText: failOn,
      runs,
    };
    return format === 'JUNIT'
      ? { contentType: 'application/xml; charset=utf-8', body: toRunJunitXml(context), fileName: 'junit.xml' }
      : {
          contentType: 'application/sarif+json; charset=utf-8',
          body: `${JSON.stringify(toRunSarif(context), null, 2)}\n`,
          fileName: 'results.sarif',
        };
  }

  /**
   * Runs exported without a baseline: JUnit and SARIF through the gated run-level exporters; CSV and
   * Markdown with the suite-batch export functions, each run one entry (its scenario × profile and
   * overlays), so succeeded runs are NOT_COMPARABLE (NO_BASELINE) and failed ones ERROR; every
   * violation is listed as a NEW finding (waived ones carry their waiver state).
   */
  private async exportRuns(
    viewer: Viewer,
    set: { id: string; runs: readonly Run[]; subject: 'run batch' | 'run' },
    format: ExportFormat,
    failOn: string | null | undefined,
  ): Promise<ExportFile> {
    const scenarioNames = new Map<string, string>();
    for (const run of set.runs)
      if (!scenarioNames.has(run.scenarioId))
        scenarioNames.set(run.scenarioId, (await this.scenarios.getOrThrow(viewer, run.scenarioId)).name);
    if (format === 'JUNIT' || format === 'SARIF')
      return this.gatedRunExport(viewer, set, format, failOn ?? defaultRunExportGate, scenarioNames);
    const triage = new Map<string, TriageDecision>();
    const candidate: ComparedRun[] = [];
    for (const run of set.runs) {
      const violations = await this.allViolations(viewer, run.id);
      for (const v of violations)
        if (v.triageState !== 'OPEN')
          triage.set(v.fingerprint, { state: v.triageState, reason: null, owner: null, expiresAt: null });
      const metrics = run.status === 'SUCCEEDED' ? await this.results.metrics(viewer, run.id) : undefined;
      candidate.push({
        scenarioId: run.scenarioId,
        scenarioName: scenarioNames.get(run.scenarioId) ?? run.scenarioId,
        entryName: entryName(run),
        runId: run.id,
        profile: run.profile,
        status: run.status,
        levels: run.summary?.levels ?? [],
        engineVersion: run.engineVersion,
        specHash: '',
        violations: violations.map(violationForComparison),
        metrics: (metrics?.all ?? {}) as Record<string, number | string>,
      });
    }
    const comparison = compareBatches({
      candidate,
      baseline: null,
      thresholds: [],
      triage,
      seenBefore: new Set(),
      now: new Date(),
    });
    const names = [...new Set(scenarioNames.values())];
    const context: ExportContext = {
      suiteName: names.length === 1 ? (names[0] ?? 'runs') : 'runs',
      batchId: set.id,
      baselineBatchId: null,
      engineVersion: set.runs[0]?.engineVersion ?? ENGINE_VERSION,
      comparison,
      subject: set.subject,
    };
    return renderExport(context, format, async () => {
      const rows: SeriesRow[] = [];
      for (const run of set.runs) {
        if (run.status !== 'SUCCEEDED') continue;
        const report = await this.results.report(viewer, run.id);
        for (const sample of reportSeries(report))
          rows.push({
            ...sample,
            runId: run.id,
            scenario: scenarioNames.get(run.scenarioId) ?? '',
            entry: entryName(run),
            profile: run.profile,
          });
      }
      return rows;
    });
  }

  /** Every violation of a run, page by page (at most 20 000). */
  private async allViolations(viewer: Viewer, runId: string): Promise<Violation[]> {
    const violations: Violation[] = [];
    for (let after: string | null = null, page = 0; page < 200; page++) {
      const result = await this.results.violations(viewer, { runId }, 100, after);
      violations.push(...result.items);
      const last = result.items.at(-1);
      if (!result.hasNextPage || !last) break;
      after = encodeCursor(last);
    }
    return violations;
  }
}

function entryName(run: Run): string {
  return [run.profile, ...run.overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join('+');
}

/** A stored report's failures (failures are not stored as rows). */
function reportFailures(report: unknown): RunFinding[] {
  const failures = (report as { failures?: unknown } | null)?.failures;
  if (!Array.isArray(failures)) return [];
  return failures.map((raw) => {
    const f = raw as Record<string, unknown>;
    const text = (key: string): string => (typeof f[key] === 'string' ? f[key] : '');
    return {
      kind: 'failure',
      class: text('class'),
      severity: text('severity'),
      deviceId: text('deviceId'),
      path: null,
      rule: text('rule'),
      explanation: text('explanation'),
      fingerprint: text('fingerprint'),
      count: String(typeof f['count'] === 'number' ? f['count'] : 0),
      bytesExposed: '0',
      dataClass: null,
      kernelLogLine: typeof f['kernelLogLine'] === 'string' ? f['kernelLogLine'] : null,
    };
  });
}

/** A stored report's raw series: `{ t: number[], values: { metric: number[] } }`. */
function reportSeries(report: unknown): Array<{ metric: string; t: bigint; value: number }> {
  const series = (report as { series?: { t?: unknown; values?: unknown } } | null)?.series;
  const t = Array.isArray(series?.t) ? (series.t as unknown[]) : [];
  const values =
    typeof series?.values === 'object' && series.values !== null ? (series.values as Record<string, unknown>) : {};
  const rows: Array<{ metric: string; t: bigint; value: number }> = [];
  for (const metric of Object.keys(values).sort()) {
    const points = values[metric];
    if (!Array.isArray(points)) continue;
    points.forEach((value, index) => {
      if (typeof value === 'number')
        rows.push({ metric, t: BigInt(Math.round(typeof t[index] === 'number' ? t[index] : index)), value });
    });
  }
  return rows;
}
