import type { EngineReport } from '../../engine/index';
import type { RunResultRecord } from '../result/result.types';

const metricNumber = (metrics: EngineReport['metrics'], key: string): number => {
  const value = metrics[key];
  return typeof value === 'number' ? value : 0;
};

/** The rows a successful run stores, derived from the engine's report. */
export function toRunResultRecord(run: { id: string; teamId: string }, report: EngineReport): RunResultRecord {
  const samples: Array<{ metric: string; t: bigint; value: number }> = [];
  for (const [metric, values] of Object.entries(report.series.values)) {
    values.forEach((value, index) =>
      samples.push({ metric, t: BigInt(Math.round(report.series.t[index] ?? index)), value }),
    );
  }
  return {
    runId: run.id,
    teamId: run.teamId,
    resultHash: report.resultHash,
    report,
    summary: report.summary,
    violations: report.violations.map((v) => ({
      class: v.class,
      severity: v.severity,
      deviceId: v.deviceId,
      fingerprint: v.fingerprint,
      count: BigInt(v.count),
      bytesExposed: BigInt(v.bytesExposed),
      dataClass: v.dataClass,
      firstOp: BigInt(v.firstOp),
      path: v.path,
      rule: v.rule,
      explanation: v.explanation,
    })),
    metrics: {
      nslabs: metricNumber(report.metrics, 'swiotlb.nslabs'),
      nareas: metricNumber(report.metrics, 'swiotlb.nareas'),
      used: metricNumber(report.metrics, 'swiotlb.used'),
      hiwater: metricNumber(report.metrics, 'swiotlb.hiwater'),
      failedMaps: BigInt(metricNumber(report.metrics, 'failedMaps')),
      failedCoherentAllocs: BigInt(metricNumber(report.metrics, 'failedCoherentAllocs')),
      bouncedBytesToDevice: BigInt(metricNumber(report.metrics, 'swiotlb.bouncedBytesToDevice')),
      bouncedBytesFromDevice: BigInt(metricNumber(report.metrics, 'swiotlb.bouncedBytesFromDevice')),
      all: report.metrics,
    },
    samples,
  };
}
