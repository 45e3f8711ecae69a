import {
  classDeltas,
  compareFindings,
  compareMetrics,
  comparisonLine,
  countStatuses,
  type FindingStatus,
  type MetricDirection,
} from '../../engine/index';
import { AppError } from '../../platform/app-error';
import { decodeCursor, type Page, pageSize } from '../shared/cursor';
import type { RunService } from '../run/run.service';
import type { Run } from '../run/run.types';
import type { Viewer } from '../team/team.types';
import type { ResultRepository } from './result.repository';
import type { AllocatorMetrics, MetricPoint, Violation, ViolationFilter } from './result.types';

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
  readonly newViolations: Violation[];
  readonly fixedViolations: Violation[];
  readonly persistingViolations: Violation[];
  /** The same exposure through another kernel path or rule: A's record and B's. */
  readonly movedViolations: Array<{ from: Violation; to: Violation }>;
  readonly metricDeltas: MetricDelta[];
  /** "vs <A's profile>: fixed 5, new 0, moved 0, failures +9,958 F5". */
  readonly summary: string;
}

const maxSeriesMetrics = 20;

/** Reading what runs produced: reports, violations, metrics, series and comparisons. */
export class ResultService {
  constructor(
    private readonly results: ResultRepository,
    private readonly runs: RunService,
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

  /** New / fixed / persisting violations by fingerprint, and every metric whose value differs. */
  async compare(viewer: Viewer, aId: string, bId: string): Promise<RunComparison> {
    const [a, b] = await Promise.all([this.runs.getOrThrow(viewer, aId), this.runs.getOrThrow(viewer, bId)]);
    const [aViolations, bViolations, aMetrics, bMetrics] = await Promise.all([
      this.results.violationsOfRun(viewer.teamId, a.id),
      this.results.violationsOfRun(viewer.teamId, b.id),
      this.results.findMetrics(viewer.teamId, a.id),
      this.results.findMetrics(viewer.teamId, b.id),
    ]);
    // The one comparison (engine compare module): moved findings are their own list, not new + fixed.
    const compared = compareFindings(aViolations, bViolations);
    const candidateSide = (statuses: readonly FindingStatus[]): Violation[] =>
      compared.flatMap((c) => (statuses.includes(c.status) && c.candidate ? [c.candidate] : []));
    // Failures are not stored as rows: their per-class deltas come from the runs' stored summaries.
    const deltas = classDeltas(a.summary?.byClass ?? {}, b.summary?.byClass ?? {});
    return {
      a,
      b,
      newViolations: candidateSide(['new', 'reopened']),
      fixedViolations: compared.flatMap((c) => (c.status === 'fixed' && c.baseline ? [c.baseline] : [])),
      persistingViolations: candidateSide(['persisting']),
      movedViolations: compared.flatMap((c) =>
        c.status === 'moved' && c.baseline && c.candidate ? [{ from: c.baseline, to: c.candidate }] : [],
      ),
      summary: comparisonLine(a.profile, countStatuses(compared), deltas),
      metricDeltas: metricDeltas(aMetrics?.all ?? {}, bMetrics?.all ?? {}),
    };
  }
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
