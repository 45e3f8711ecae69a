import type { z } from 'zod';
import { nearestKey } from './nearest';
import { type NormalizedScenario, normalizeScenario } from './normalize';
import { repairForRules, type RepairState, toUserPath } from './repair';
import { checkScenarioRules, type SpecIssue } from './rules';
import { scenarioSchema } from './scenario.schema';
import { knownKeysAt } from './schema-keys';

export type { SpecIssue } from './rules';
export type {
  NormalizedDevice,
  NormalizedOverlay,
  NormalizedScenario,
  ResolvedDevice,
  ResolvedScenario,
} from './normalize';
export type { ScenarioSpec } from './scenario.schema';

export type ScenarioValidation =
  | { readonly ok: true; readonly spec: NormalizedScenario }
  | { readonly ok: false; readonly errors: readonly SpecIssue[] };

/** Formats a zod path the way people read it: `devices[1].minAlignMask`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

/** Parses a formatted path (`devices[1].minAlignMask`) back into keys. */
export function parsePath(text: string): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (const match of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    keys.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  return keys;
}

/**
 * Validates a parsed spec object (docs/engine-contract.md §2) and normalises it. Every problem is
 * reported in one pass, each as `{path, message}`; nothing throws. Schema problems come first; the
 * cross-field rules then run on what remains once the rejected parts are taken out, so duplicate
 * ids, unknown devices, unknown profiles and bad values are all listed together.
 */
export function validateScenario(input: unknown): ScenarioValidation {
  const parsed = scenarioSchema.safeParse(input);
  if (parsed.success) {
    const errors = checkScenarioRules(parsed.data);
    return errors.length > 0 ? { ok: false, errors } : { ok: true, spec: normalizeScenario(parsed.data) };
  }
  const schemaErrors = parsed.error.issues.flatMap((issue) => toIssues(issue, input));
  const repaired = repairForRules(scenarioSchema, input, parsed.error.issues);
  const ruleErrors = repaired ? mapRuleIssues(checkScenarioRules(repaired.data), repaired.state) : [];
  return { ok: false, errors: dedupe([...schemaErrors, ...ruleErrors]) };
}

/** Rule findings on the repaired spec, in the user's indices, without those about removed values. */
function mapRuleIssues(issues: readonly SpecIssue[], state: RepairState): SpecIssue[] {
  return issues.flatMap((issue) => {
    const userPath = toUserPath(parsePath(issue.path), state.removals);
    const aboutRemoved = state.removedPaths.some(
      (removed) => removed.length <= userPath.length && removed.every((key, i) => key === userPath[i]),
    );
    return aboutRemoved ? [] : [{ path: formatPath(userPath), message: issue.message }];
  });
}

function dedupe(issues: readonly SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toIssues(issue: z.core.$ZodIssue, input: unknown): SpecIssue[] {
  const base = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(scenarioSchema, issue.path, input);
    return issue.keys.map((key) => {
      const suggestion = nearestKey(key, known);
      return {
        path: base ? `${base}.${key}` : key,
        message: `unknown key '${String(key)}'${suggestion ? ` — did you mean ${suggestion}?` : known.length > 0 ? ` (valid keys: ${known.join(', ')})` : ''}`,
      };
    });
  }
  if (issue.code === 'invalid_value' && issue.values.every((v) => typeof v === 'string')) {
    const given = issue.path.reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined,
      input,
    );
    const valid = issue.values as string[];
    const suggestion = typeof given === 'string' ? nearestKey(given, valid) : null;
    const shown = typeof given === 'string' ? `unknown value '${given}'` : 'invalid value';
    return [
      {
        path: base || '(root)',
        message: `${shown}${suggestion ? ` — did you mean ${suggestion}?` : ''} (expected one of: ${valid.join(', ')})`,
      },
    ];
  }
  return [{ path: base || '(root)', message: issue.message }];
}
