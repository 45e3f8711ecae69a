import { validateScenario } from '../../engine/index';
import { parseSpecText } from './spec-text';
import type { NormalizedSpec, SpecCheck, SpecValidator } from './scenario.types';

/** The engine's scenario validator behind the scenario service's port. */
export const engineSpecValidator: SpecValidator = {
  parseText(text: string): SpecCheck {
    const result = parseSpecText(text);
    return result.ok
      ? { ok: true, spec: result.spec as unknown as NormalizedSpec }
      : { ok: false, errors: result.errors };
  },
  validate(spec: unknown): SpecCheck {
    const result = validateScenario(spec);
    return result.ok
      ? { ok: true, spec: result.spec as unknown as NormalizedSpec }
      : { ok: false, errors: result.errors };
  },
};
