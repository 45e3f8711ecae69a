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
}

export interface RunComparison {
  readonly a: Run;
  readonly b: Run;
  readonly newViolations: Violation[];
  readonly fixedViolations: Violation[];
  readonly persistingViolations: Violation[];
  readonly metricDeltas: MetricDelta[];
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

  violations(viewer: Viewer, filter: ViolationFilter, first: number | null | undefined, after: string | null | undefined): Promise<Page<Violation>> {
    return this.results.listViolations(viewer.teamId, filter, pageSize(first, 50), after ? decodeCursor(after) : undefined);
  }

  async metrics(viewer: Viewer, runId: string): Promise<AllocatorMetrics | undefined> {
    await this.runs.getOrThrow(viewer, runId);
    return this.results.findMetrics(viewer.teamId, runId);
  }

  async series(viewer: Viewer, runId: string, metrics: readonly string[], buckets: number | null | undefined): Promise<Array<{ metric: string; points: MetricPoint[] }>> {
    await this.runs.getOrThrow(viewer, runId);
    const bucketCount = buckets ?? 200;
    if (!Number.isInteger(bucketCount) || bucketCount < 1 || bucketCount > 2000) throw new AppError('BAD_USER_INPUT', `buckets must be between 1 and 2000, got ${bucketCount}`);
    if (metrics.length < 1 || metrics.length > maxSeriesMetrics) throw new AppError('BAD_USER_INPUT', `ask for 1-${maxSeriesMetrics} metrics`);
    const byMetric = await this.results.series(viewer.teamId, runId, metrics, bucketCount);
    return metrics.map((metric) => ({ metric, points: byMetric.get(metric) ?? [] }));
  }

  /** Every stored metric sample of the team's runs among `runIds`, unbucketed. */
  samplesOfRuns(viewer: Viewer, runIds: readonly string[]): Promise<Array<{ runId: string; metric: string; t: bigint; value: number }>> {
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
    const inA = new Set(aViolations.map((v) => v.fingerprint));
    const inB = new Set(bViolations.map((v) => v.fingerprint));
    return {
      a,
      b,
      newViolations: bViolations.filter((v) => !inA.has(v.fingerprint)),
      fixedViolations: aViolations.filter((v) => !inB.has(v.fingerprint)),
      persistingViolations: bViolations.filter((v) => inA.has(v.fingerprint)),
      metricDeltas: metricDeltas(aMetrics?.all ?? {}, bMetrics?.all ?? {}),
    };
  }
}

export function metricDeltas(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): MetricDelta[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((metric) => {
    const before = a[metric];
    const after = b[metric];
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    const delta = typeof before === 'number' && typeof after === 'number' ? after - before : null;
    return [{ metric, a: before ?? null, b: after ?? null, delta }];
  });
}
