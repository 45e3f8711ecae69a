import { z } from 'zod';
import { parseJsonColumn } from '../common/json-column';
import type { OverlayRef, RunSummary, RunVerdict } from './run.types';

/** The JSON columns of the run table (overlays, summary), parsed at the repository boundary. */
const overlays = z.array(z.object({ name: z.string(), variant: z.string().nullish() }));
const verdict = z.enum([
  'exposes-secrets',
  'exposes-data',
  'failing',
  'degraded',
  'clean',
] as const satisfies readonly RunVerdict[]);
const summary = z
  .object({
    verdict,
    levels: z.array(verdict),
    operations: z.number(),
    violations: z.number(),
    failures: z.number(),
    bySeverity: z.object({ critical: z.number(), high: z.number(), info: z.number() }),
    byClass: z.record(z.string(), z.number()),
    failedOperations: z.number(),
    bytesExposed: z.number(),
  })
  // NULL until the run succeeded (and for runs finished before summaries were stored).
  .nullable();

export const parseRunOverlays = (value: unknown): OverlayRef[] => parseJsonColumn(overlays, value, 'run.overlays');
export const parseRunSummary = (value: unknown): RunSummary | null => parseJsonColumn(summary, value, 'run.summary');
