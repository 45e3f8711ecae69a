import { Router, type Request, type Response } from 'express';
import { ENGINE_VERSION } from '../../engine/version';
import { AppError } from '../../platform/app-error';
import type { Logger } from '../../platform/logger';
import type { ResultService } from '../result/result.service';
import type { Violation } from '../result/result.types';
import type { RunService } from '../run/run.service';
import type { Run } from '../run/run.types';
import { encodeCursor } from '../shared/cursor';
import type { ScenarioService } from '../scenario/scenario.service';
import type { TeamService } from '../team/team.service';
import type { Viewer } from '../team/team.types';
import { compareBatches } from './comparison';
import { toJunitXml, toMarkdown, toSarif, toSeriesCsv, type ExportContext } from './exports';
import type { ComparedRun, TriageDecision } from './regression.types';
import type { ExportFormat, RegressionService } from './regression.service';

const formatOf: Record<string, ExportFormat> = { 'junit.xml': 'JUNIT', 'results.sarif': 'SARIF', 'sarif.json': 'SARIF', 'series.csv': 'CSV', 'report.md': 'MARKDOWN' };
const statusOf: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, RATE_LIMITED: 429, CONFLICT: 409 };
const uuidPattern = /^[0-9a-f-]{36}$/i;

export interface ExportServices {
  readonly teams: TeamService;
  readonly regression: RegressionService;
  readonly runs: RunService;
  readonly results: ResultService;
  readonly scenarios: ScenarioService;
}

interface ExportFile {
  readonly contentType: string;
  readonly body: string;
  readonly fileName: string;
}

/**
 * CI export routes, behind the same bearer-token auth as /graphql:
 * GET /export/batches/:id/{junit.xml,results.sarif,sarif.json,series.csv,report.md} (a suite batch's comparison) and
 * GET /export/runs/:id/{…the same files} (one run as a one-entry batch without a baseline) and
 * GET /export/run-batches/:id/{…} (a matrix batch, one entry per run, without a baseline).
 * Another team's batch or run is 404, exactly like a missing one.
 */
export function createExportRouter(services: ExportServices, logger: Logger): Router {
  const router = Router();
  const handle = (exporter: (viewer: Viewer, id: string, format: ExportFormat) => Promise<ExportFile>) => async (request: Request<{ id: string; file: string }>, response: Response) => {
    try {
      const format = formatOf[request.params.file];
      if (!format || !uuidPattern.test(request.params.id)) throw new AppError('NOT_FOUND', `no export ${request.params.file} for ${request.params.id}`);
      const viewer = await services.teams.authenticate(request.header('authorization'));
      const file = await exporter(viewer, request.params.id, format);
      response.status(200).type(file.contentType).setHeader('content-disposition', `inline; filename="${file.fileName}"`).send(file.body);
    } catch (error: unknown) {
      if (error instanceof AppError) {
        response.status(statusOf[error.code] ?? 400).json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
        return;
      }
      logger.error({ err: error }, 'export failed');
      response.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  };
  router.get('/export/batches/:id/:file', handle((viewer, id, format) => services.regression.exportBatch(viewer, id, format)));
  router.get('/export/runs/:id/:file', handle((viewer, id, format) => exportRun(services, viewer, id, format)));
  router.get('/export/run-batches/:id/:file', handle((viewer, id, format) => exportRunBatch(services, viewer, id, format)));
  return router;
}

/** A stored report's raw series: `{ t: number[], values: { metric: number[] } }`. */
function reportSeries(report: unknown): Array<{ metric: string; t: bigint; value: number }> {
  const series = (report as { series?: { t?: unknown; values?: unknown } } | null)?.series;
  const t = Array.isArray(series?.t) ? (series.t as unknown[]) : [];
  const values = typeof series?.values === 'object' && series.values !== null ? (series.values as Record<string, unknown>) : {};
  const rows: Array<{ metric: string; t: bigint; value: number }> = [];
  for (const metric of Object.keys(values).sort()) {
    const points = values[metric];
    if (!Array.isArray(points)) continue;
    points.forEach((value, index) => {
      if (typeof value === 'number') rows.push({ metric, t: BigInt(Math.round(typeof t[index] === 'number' ? t[index] : index)), value });
    });
  }
  return rows;
}

/** One run exported like a suite batch of one entry without a baseline (see exportRuns). */
export async function exportRun(services: Pick<ExportServices, 'runs' | 'results' | 'scenarios'>, viewer: Viewer, runId: string, format: ExportFormat): Promise<ExportFile> {
  const run = await services.runs.getOrThrow(viewer, runId);
  return exportRuns(services, viewer, { id: runId, runs: [run] }, format);
}

/** A matrix run batch exported like a suite batch with one entry per run, without a baseline. */
export async function exportRunBatch(services: Pick<ExportServices, 'runs' | 'results' | 'scenarios'>, viewer: Viewer, batchId: string, format: ExportFormat): Promise<ExportFile> {
  const batch = await services.runs.batch(viewer, batchId);
  if (!batch) throw new AppError('NOT_FOUND', `run batch ${batchId} not found`);
  return exportRuns(services, viewer, { id: batchId, runs: batch.runs }, format);
}

/**
 * Runs exported with the suite-batch export functions: each run one entry (its scenario × profile
 * and overlays), no baseline, so succeeded runs are NOT_COMPARABLE (NO_BASELINE) and failed ones
 * ERROR; every violation is listed as a NEW finding (waived ones carry their waiver state).
 */
async function exportRuns(services: Pick<ExportServices, 'results' | 'scenarios'>, viewer: Viewer, set: { id: string; runs: readonly Run[] }, format: ExportFormat): Promise<ExportFile> {
  const scenarioNames = new Map<string, string>();
  for (const run of set.runs) if (!scenarioNames.has(run.scenarioId)) scenarioNames.set(run.scenarioId, (await services.scenarios.getOrThrow(viewer, run.scenarioId)).name);
  const entryName = (run: Run): string => [run.profile, ...run.overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join('+');
  const triage = new Map<string, TriageDecision>();
  const candidate: ComparedRun[] = [];
  for (const run of set.runs) {
    const violations: Violation[] = [];
    for (let after: string | null = null, page = 0; page < 200; page++) {
      const result = await services.results.violations(viewer, { runId: run.id }, 100, after);
      violations.push(...result.items);
      const last = result.items.at(-1);
      if (!result.hasNextPage || !last) break;
      after = encodeCursor(last);
    }
    for (const v of violations) if (v.triageState !== 'OPEN') triage.set(v.fingerprint, { state: v.triageState, reason: null, owner: null, expiresAt: null });
    const metrics = run.status === 'SUCCEEDED' ? await services.results.metrics(viewer, run.id) : undefined;
    candidate.push({
      scenarioId: run.scenarioId, scenarioName: scenarioNames.get(run.scenarioId) ?? run.scenarioId, entryName: entryName(run), runId: run.id, profile: run.profile, status: run.status, engineVersion: run.engineVersion, specHash: '',
      violations: violations.map((v) => ({ fingerprint: v.fingerprint, class: v.class, severity: v.severity, deviceId: v.deviceId, path: v.path, rule: v.rule, explanation: v.explanation, dataClass: v.dataClass, count: v.count, bytesExposed: v.bytesExposed })),
      metrics: (metrics?.all ?? {}) as Record<string, number | string>,
    });
  }
  const comparison = compareBatches({ candidate, baseline: null, thresholds: [], triage, seenBefore: new Set(), now: new Date() });
  const names = [...new Set(scenarioNames.values())];
  const context: ExportContext = { suiteName: names.length === 1 ? (names[0] ?? 'runs') : 'runs', batchId: set.id, baselineBatchId: null, engineVersion: set.runs[0]?.engineVersion ?? ENGINE_VERSION, comparison };
  switch (format) {
    case 'JUNIT':
      return { contentType: 'application/xml; charset=utf-8', body: toJunitXml(context), fileName: 'junit.xml' };
    case 'SARIF':
      return { contentType: 'application/sarif+json; charset=utf-8', body: `${JSON.stringify(toSarif(context), null, 2)}\n`, fileName: 'results.sarif' };
    case 'MARKDOWN':
      return { contentType: 'text/markdown; charset=utf-8', body: toMarkdown(context), fileName: 'report.md' };
    case 'CSV': {
      const rows: Array<{ runId: string; scenario: string; entry: string; profile: string; metric: string; t: bigint; value: number }> = [];
      for (const run of set.runs) {
        if (run.status !== 'SUCCEEDED') continue;
        const report = await services.results.report(viewer, run.id);
        for (const sample of reportSeries(report)) rows.push({ ...sample, runId: run.id, scenario: scenarioNames.get(run.scenarioId) ?? '', entry: entryName(run), profile: run.profile });
      }
      return { contentType: 'text/csv; charset=utf-8', body: toSeriesCsv(rows), fileName: 'series.csv' };
    }
  }
}
