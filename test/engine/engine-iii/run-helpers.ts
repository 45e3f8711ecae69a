import { runScenario, type EngineReport } from '../../../src/engine/index';
import { validateScenario } from '../../../src/engine/spec/validate';
import type { SpecObject } from '../spec/spec-builders';

/** Validates and runs a spec object; throws with the validator's errors when it is invalid. */
export function runSpec(spec: SpecObject | Record<string, unknown>): EngineReport {
  const result = validateScenario(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return runScenario(result.spec);
}

export const metric = (report: EngineReport, key: string): number => {
  const value = report.metrics[key];
  if (typeof value !== 'number') throw new Error(`metric ${key} is ${String(value)}`);
  return value;
};

export const classesOf = (report: EngineReport): string[] => [...new Set(report.violations.map((v) => v.class))].sort();
export const failureClassesOf = (report: EngineReport): string[] =>
  [...new Set(report.failures.map((f) => f.class))].sort();
