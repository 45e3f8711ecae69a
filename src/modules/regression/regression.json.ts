import { z } from 'zod';
import { parseJsonColumn } from '../common/json-column';
import type { ComparisonResult, MetricThreshold, SuiteEntry } from './regression.types';

/**
 * The JSON columns of the regression tables, parsed at the repository boundary: a row that does not
 * match (hand-edited, written by an older version) fails loudly here instead of deep in a service.
 */
const overlayRef = z.object({ name: z.string(), variant: z.string().optional() });
const suiteEntries = z.array(z.object({ name: z.string(), profile: z.string(), overlays: z.array(overlayRef) }));
const thresholds = z.array(
  z.object({
    metric: z.string(),
    maxIncrease: z.string().nullish(),
    maxIncreasePercent: z.number().nullish(),
    max: z.string().nullish(),
  }),
);
const plan = z.array(z.object({ runId: z.string(), scenarioId: z.string(), entryName: z.string() }));
const verdict = z.enum(['PASS', 'REGRESSED', 'IMPROVED', 'NOT_COMPARABLE', 'ERROR']);
const findingDiff = z.object({
  fingerprint: z.string(),
  change: z.enum(['NEW', 'FIXED', 'PERSISTING', 'REOPENED']),
  class: z.string(),
  severity: z.string(),
  deviceId: z.string(),
  path: z.string(),
  rule: z.string(),
  explanation: z.string(),
  count: z.string(),
  bytesExposed: z.string(),
  baselineCount: z.string().nullable(),
  baselineBytesExposed: z.string().nullable(),
  waived: z.boolean(),
  waiver: z
    .object({ reason: z.string().nullable(), owner: z.string().nullable(), expiresAt: z.string().nullable() })
    .nullable(),
  counts: z.boolean(),
  // Comparisons stored before moved exposures were recorded have no sameExposureAs.
  sameExposureAs: z.string().nullable().default(null),
});
const metricDiff = z.object({
  metric: z.string(),
  baseline: z.string().nullable(),
  candidate: z.string().nullable(),
  delta: z.string().nullable(),
  threshold: thresholds.element.nullable(),
  breached: z.boolean(),
  breachReason: z.string().nullable(),
});
const comparisonResult = z.object({
  verdict,
  entries: z.array(
    z.object({
      key: z.string(),
      scenarioId: z.string(),
      scenarioName: z.string(),
      entryName: z.string(),
      profile: z.string(),
      baselineProfile: z.string().nullable(),
      candidateRunId: z.string(),
      baselineRunId: z.string().nullable(),
      // Comparisons stored before the runs' verdict levels were recorded have neither.
      levels: z.array(z.string()).default([]),
      baselineLevels: z.array(z.string()).nullable().default(null),
      verdict,
      reasons: z.array(z.string()),
      findings: z.array(findingDiff),
      metrics: z.array(metricDiff),
    }),
  ),
  counts: z.object({
    new: z.number(),
    fixed: z.number(),
    persisting: z.number(),
    reopened: z.number(),
    waived: z.number(),
    thresholdBreaches: z.number(),
    moved: z.number().default(0),
  }),
});

export const parseSuiteEntries = (value: unknown): SuiteEntry[] =>
  parseJsonColumn(suiteEntries, value, 'suite.entries');
export const parseThresholds = (value: unknown): MetricThreshold[] =>
  parseJsonColumn(thresholds, value, 'suite.thresholds');
/** Which run of a suite batch is which scenario × entry. */
export type PlanItem = z.infer<typeof plan>[number];

export const parsePlan = (value: unknown): PlanItem[] => parseJsonColumn(plan, value, 'suite_batch.plan');
export const parseComparisonDetail = (value: unknown): ComparisonResult =>
  parseJsonColumn(comparisonResult, value, 'comparison.detail');

const jsonValue = z.json();

/** A value written to a JSON column: checked to be plain JSON (no bigint, Date or undefined inside). */
export function toJsonColumn(value: unknown): NonNullable<z.infer<typeof jsonValue>> {
  const json = parseJsonColumn(jsonValue, value, 'JSON value');
  if (json === null) throw new Error('a JSON column value must not be null');
  return json;
}
