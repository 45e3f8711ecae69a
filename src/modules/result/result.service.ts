import {
  classDeltas,
  compareFindings,
  type ComparedFinding,
  compareMetrics,
  comparisonLine,
  countStatuses,
  findingRows,
  type FindingRow,
  type FindingStatus,
  type MetricDirection,
  metricRows,
  type StatusCounts,
} from '../../engine/index';
import { AppError } from '../../platform/app-error';
import { decodeCursor, type Page, pageSize } from '../common/cursor';
import type { RunService } from '../run/run.service';
import type { Run } from '../run/run.types';
import type { Viewer } from '../team/team.types';
import type { ResultRepository } from './result.repository';
import type { AllocatorMetrics, MetricPoint, TriageState, Violation, ViolationFilter } from './result.types';

export interface MetricDelta {
  readonly metric: string;
  readonly a: unknown;
  readonly b: unknown;
  readonly delta: number | null;
  /** better / worse by the metric's preferred direction, neutral where it has none. */
  readonly direction: MetricDirection;
}

export interface RunComparison {
  readonly a: Run;
  readonly b: Run;
  /** In B only, and never fixed before. */
  readonly newViolations: Violation[];
  /** In B only, but triaged FIXED or found by the team's runs before A (and gone in A): it came back. */
  readonly reopenedViolations: Violation[];
  readonly fixedViolations: Violation[];
  readonly persistingViolations: Violation[];
  /** The same exposure through another kernel path or rule: A's record and B's. */
  readonly movedViolations: Array<{ from: Violation; to: Violation }>;
  readonly metricDeltas: MetricDelta[];
  /** "vs <A's profile>: fixed 5, new 0, moved 0, failures +9,958 F5". */
  readonly summary: string;
}

/** One candidate run of a run-set comparison against the set's baseline (its first run). */
export interface RunSetColumn {
  readonly run: Run;
  /** "vs <baseline's profile>: fixed 5, new 0, reopened 1, moved 0, failures ±0". */
  readonly summary: string;
  readonly counts: StatusCounts;
}

/** One metric across a run set: the baseline's stored value and, per column, its value, exact delta and direction. */
export interface RunSetMetric {
  readonly metric: string;
  readonly baseline: unknown;
  readonly cells: ReadonlyArray<{ value: unknown; delta: string | null; direction: MetricDirection }>;
}

/** N runs side by side: each column against the baseline, findings lined up across columns, metric deltas per column. */
export interface RunSetComparison {
  readonly baseline: Run;
  readonly columns: RunSetColumn[];
  readonly findings: FindingRow<Violation>[];
  /** Metrics whose value differs from the baseline's in at least one column. */
  readonly metrics: RunSetMetric[];
}

/** What a comparison reads of a fingerprint's past (implemented by the triage module's FindingHistoryRepository). */
export interface FindingHistoryReader {
  triageFor(teamId: string, fingerprints: readonly string[]): Promise<ReadonlyMap<string, { state: TriageState }>>;
  fingerprintsSeenBefore(
    teamId: string,
    fingerprints: readonly string[],
    excludeRunIds: readonly string[],
    before: Date,
  ): Promise<ReadonlySet<string>>;
}

/** How many runs compareRunSet takes: a baseline and at least one candidate, at most eight in all. */
export const runSetSize = { min: 2, max: 8 } as const;

const maxSeriesMetrics = 20;

/** Reading what runs produced: reports, violations, metrics, series and comparisons. */
export class ResultService {
  constructor(
    private readonly results: ResultRepository,
    private readonly runs: RunService,
    private readonly history: FindingHistoryReader,
  ) {}

  async report(viewer: Viewer, runId: string): Promise<unknown> {
    await this.runs.getOrThrow(viewer, runId);
    return this.results.findReport(viewer.teamId, runId);
  }

  violations(
    viewer: Viewer,
    filter: ViolationFilter,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Page<Violation>> {
    return this.results.listViolations(
      viewer.teamId,
      filter,
      pageSize(first, 50),
      after ? decodeCursor(after) : undefined,
    );
  }

  async metrics(viewer: Viewer, runId: string): Promise<AllocatorMetrics | undefined> {
    await this.runs.getOrThrow(viewer, runId);
    return this.results.findMetrics(viewer.teamId, runId);
  }

  async series(
    viewer: Viewer,
    runId: string,
    metrics: readonly string[],
    buckets: number | null | undefined,
  ): Promise<Array<{ metric: string; points: MetricPoint[] }>> {
    await this.runs.getOrThrow(viewer, runId);
    const bucketCount = buckets ?? 200;
    if (!Number.isInteger(bucketCount) || bucketCount < 1 || bucketCount > 2000)
      throw new AppError('BAD_USER_INPUT', `buckets must be between 1 and 2000, got ${bucketCount}`);
    if (metrics.length < 1 || metrics.length > maxSeriesMetrics)
      throw new AppError('BAD_USER_INPUT', `ask for 1-${maxSeriesMetrics} metrics`);
    const byMetric = await this.results.series(viewer.teamId, runId, metrics, bucketCount);
    return metrics.map((metric) => ({ metric, points: byMetric.get(metric) ?? [] }));
  }

  /** Every stored metric sample of the team's runs among `runIds`, unbucketed. */
  samplesOfRuns(
    viewer: Viewer,
    runIds: readonly string[],
  ): Promise<Array<{ runId: string; metric: string; t: bigint; value: number }>> {
    return this.results.samplesOfRuns(viewer.teamId, runIds);
  }

  /**
   * B against A by the one comparison: new, reopened (fixed before: triaged FIXED, or found by the
   * team's earlier runs and gone in A), fixed, persisting and moved violations, and every metric
   * whose value differs.
   */
  async compare(viewer: Viewer, aId: string, bId: string): Promise<RunComparison> {
    const [a, b] = await Promise.all([this.runs.getOrThrow(viewer, aId), this.runs.getOrThrow(viewer, bId)]);
    const [baseline, candidate] = await Promise.all([this.resultSet(viewer, a), this.resultSet(viewer, b)]);
    const triage = await this.history.triageFor(viewer.teamId, candidateOnly(baseline, candidate));
    const compared = await this.compareColumn(viewer.teamId, baseline, candidate, triage);
    const candidateSide = (status: FindingStatus): Violation[] =>
      compared.flatMap((c) => (c.status === status && c.candidate ? [c.candidate] : []));
    return {
      a,
      b,
      newViolations: candidateSide('new'),
      reopenedViolations: candidateSide('reopened'),
      fixedViolations: compared.flatMap((c) => (c.status === 'fixed' && c.baseline ? [c.baseline] : [])),
      persistingViolations: candidateSide('persisting'),
      movedViolations: compared.flatMap((c) =>
        c.status === 'moved' && c.baseline && c.candidate ? [{ from: c.baseline, to: c.candidate }] : [],
      ),
      summary: columnSummary(a, b, compared),
      metricDeltas: metricDeltas(baseline.metrics, candidate.metrics),
    };
  }

  /**
   * N runs of the team side by side, the first the baseline (2–8 runs, no repeats): each later run
   * compared with it as compare() compares a pair, the findings lined up across the columns, and
   * every metric that differs in some column with its delta and direction per column.
   */
  async compareRunSet(viewer: Viewer, runIds: readonly string[]): Promise<RunSetComparison> {
    const [baselineId, ...candidateIds] = runIds;
    if (baselineId === undefined || runIds.length < runSetSize.min || runIds.length > runSetSize.max)
      throw new AppError('BAD_USER_INPUT', `compare ${runSetSize.min}-${runSetSize.max} runs, got ${runIds.length}`);
    if (new Set(runIds).size !== runIds.length) throw new AppError('BAD_USER_INPUT', 'a run appears twice in runIds');
    const [baselineRun, candidateRuns] = await Promise.all([
      this.runs.getOrThrow(viewer, baselineId),
      Promise.all(candidateIds.map((id) => this.runs.getOrThrow(viewer, id))),
    ]);
    const [baseline, candidates] = await Promise.all([
      this.resultSet(viewer, baselineRun),
      Promise.all(candidateRuns.map((run) => this.resultSet(viewer, run))),
    ]);
    const triage = await this.history.triageFor(viewer.teamId, [
      ...new Set(candidates.flatMap((c) => candidateOnly(baseline, c))),
    ]);
    const columns = await Promise.all(
      candidates.map(async (candidate) => ({
        candidate,
        findings: await this.compareColumn(viewer.teamId, baseline, candidate, triage),
      })),
    );
    const baselineMetrics = metricValues(baseline.metrics);
    return {
      baseline: baselineRun,
      columns: columns.map(({ candidate, findings }) => ({
        run: candidate.run,
        summary: columnSummary(baselineRun, candidate.run, findings),
        counts: countStatuses(findings),
      })),
      findings: findingRows(
        baseline.violations,
        columns.map(({ candidate, findings }) => ({ label: candidate.run.id, findings, metrics: [] })),
      ),
      metrics: metricRows(
        candidates.map((c) => ({ metrics: compareMetrics(baselineMetrics, metricValues(c.metrics)) })),
      )
        .filter((row) => row.cells.some((cell) => cell.baseline !== cell.candidate))
        .map((row) => ({
          metric: row.key,
          baseline: baseline.metrics[row.key] ?? null,
          cells: row.cells.map((cell, i) => ({
            value: candidates[i]?.metrics[row.key] ?? null,
            delta: cell.delta,
            direction: cell.direction,
          })),
        })),
    };
  }

  private async resultSet(viewer: Viewer, run: Run): Promise<StoredResultSet> {
    const [violations, metrics] = await Promise.all([
      this.results.violationsOfRun(viewer.teamId, run.id),
      this.results.findMetrics(viewer.teamId, run.id),
    ]);
    return { run, violations, metrics: metrics?.all ?? {} };
  }

  /**
   * One candidate against the baseline through the one comparison (engine compare module): moved
   * findings are their own status, not new + fixed. A candidate-only fingerprint is reopened when
   * the team triaged it FIXED, or when the team's runs found it before the baseline ran (runs other
   * than these two): the baseline not having it, it had been fixed. Suite regressions apply the same
   * rule from the same history (regression/comparison.ts).
   */
  private async compareColumn(
    teamId: string,
    baseline: StoredResultSet,
    candidate: StoredResultSet,
    triage: ReadonlyMap<string, { state: TriageState }>,
  ): Promise<ComparedFinding<Violation>[]> {
    const seenBefore = await this.history.fingerprintsSeenBefore(
      teamId,
      candidateOnly(baseline, candidate),
      [baseline.run.id, candidate.run.id],
      baseline.run.createdAt,
    );
    const wasFixedBefore = (fingerprint: string): boolean =>
      triage.get(fingerprint)?.state === 'FIXED' || seenBefore.has(fingerprint);
    return compareFindings(baseline.violations, candidate.violations, { wasFixedBefore });
  }
}

/** A run with its stored violations and metrics. */
interface StoredResultSet {
  readonly run: Run;
  readonly violations: readonly Violation[];
  readonly metrics: Readonly<Record<string, unknown>>;
}

/** Fingerprints the candidate has and the baseline does not: the ones that may be new or reopened. */
function candidateOnly(baseline: StoredResultSet, candidate: StoredResultSet): string[] {
  const inBaseline = new Set(baseline.violations.map((v) => v.fingerprint));
  return [...new Set(candidate.violations.map((v) => v.fingerprint).filter((f) => !inBaseline.has(f)))];
}

/** The one-line summary of B against A; failures are not stored as rows, so their per-class deltas come from the runs' stored summaries. */
function columnSummary(a: Run, b: Run, compared: Parameters<typeof countStatuses>[0]): string {
  return comparisonLine(
    a.profile,
    countStatuses(compared),
    classDeltas(a.summary?.byClass ?? {}, b.summary?.byClass ?? {}),
  );
}

/** Every metric whose value differs, from the one comparison's deltas; `delta` only for plain numbers on both sides. */
export function metricDeltas(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): MetricDelta[] {
  return compareMetrics(metricValues(a), metricValues(b)).flatMap((m) => {
    const before = a[m.key];
    const after = b[m.key];
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    const delta = typeof before === 'number' && typeof after === 'number' ? after - before : null;
    return [{ metric: m.key, a: before ?? null, b: after ?? null, delta, direction: m.direction }];
  });
}

/** Stored metrics as the comparison reads them: numbers and decimal text; anything else (objects) compares as text. */
function metricValues(all: Readonly<Record<string, unknown>>): Record<string, number | string> {
  return Object.fromEntries(
    Object.entries(all).map(([key, value]) => [
      key,
      typeof value === 'number' || typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}
