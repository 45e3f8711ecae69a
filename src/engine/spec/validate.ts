import type { z } from 'zod';
import { type NormalizedScenario, normalizeScenario } from './normalize';
import { checkScenarioRules, type SpecIssue } from './rules';
import { scenarioSchema } from './scenario.schema';

export type { SpecIssue } from './rules';
export type { NormalizedDevice, NormalizedOverlay, NormalizedScenario, ResolvedDevice, ResolvedScenario } from './normalize';
export type { ScenarioSpec } from './scenario.schema';

export type ScenarioValidation = { readonly ok: true; readonly spec: NormalizedScenario } | { readonly ok: false; readonly errors: readonly SpecIssue[] };

/** Formats a zod path the way people read it: `devices[1].minAlignMask`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

/**
 * Validates a parsed spec object (docs/engine-contract.md §2) and normalises it. Every problem is reported, each
 * as `{path, message}`; nothing throws. Schema errors come first; the cross-field rules run only
 * on a schema-valid spec.
 */
export function validateScenario(input: unknown): ScenarioValidation {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.flatMap(toIssues) };
  const errors = checkScenarioRules(parsed.data);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, spec: normalizeScenario(parsed.data) };
}

function toIssues(issue: z.core.$ZodIssue): SpecIssue[] {
  const base = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: `unknown key '${key}'` }));
  }
  return [{ path: base || '(root)', message: issue.message }];
}
