// Every bundled example says on its "# Expected:" header line what the engine must find when the
// spec is run as written: each class named there (V0–V10, F1–F15) must appear in the report, and
// "no violations" / "no failures" must hold. The headers are read here, so they cannot drift from
// the engine unnoticed (run the spec with dmasim run and fix the header when the model changes).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario } from '../../src/engine/index';
import { parseSpecText } from '../../src/modules/scenario/spec-text';

const examplesDir = path.join(__dirname, '..', '..', 'examples');
const files = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** Operations run to check that the named classes appear (see the prefix argument below). */
const presenceCapOps = 100_000;

interface Expectation {
  readonly classes: readonly string[];
  readonly noViolations: boolean;
  readonly noFailures: boolean;
}

/** Reads the one "# Expected:" line of a header. */
export function expectationOf(text: string): Expectation | null {
  const line = text.split('\n').find((l) => /^#\s*Expected:/.test(l) || /^#.*\bExpected:/.test(l));
  if (!line) return null;
  const said = line.slice(line.indexOf('Expected:') + 'Expected:'.length);
  return {
    classes: [...new Set([...said.matchAll(/\b[VF]\d{1,2}\b/g)].map((m) => m[0]))],
    noViolations: /\bno (confidentiality )?violations\b/.test(said),
    noFailures: /\bno failures\b/.test(said),
  };
}

describe('examples/ headers', () => {
  it('every example starts with the yaml-language-server schema line and has an Expected: line', () => {
    for (const file of files) {
      const text = readFileSync(path.join(examplesDir, file), 'utf8');
      expect(`${file}: ${text.split('\n')[0]}`).toBe(
        `${file}: # yaml-language-server: $schema=../schema/scenario.v1.json`,
      );
      expect(`${file}: ${expectationOf(text) === null ? 'missing' : 'present'}`).toBe(`${file}: present`);
    }
  });

  it('the header parser reads classes and the "no …" statements', () => {
    expect(expectationOf('# Expected: V0, F1 (fewer than S2), F15.')).toEqual({
      classes: ['V0', 'F1', 'F15'],
      noViolations: false,
      noFailures: false,
    });
    expect(expectationOf('# the paravisor. Expected: no violations, no failures.')).toEqual({
      classes: [],
      noViolations: true,
      noFailures: true,
    });
  });

  // The generated workload does not depend on the operation count except where it stops
  // (EngineRun.operationsTotal), so a run capped at presenceCapOps is a prefix of the full run: a
  // class it finds, the full run finds too. "no violations" / "no failures" are claims about the
  // whole run, so those examples run uncapped (they are the small ones).
  it.each(files)(
    '%s produces what its Expected: line says',
    (file) => {
      const text = readFileSync(path.join(examplesDir, file), 'utf8');
      const expectation = expectationOf(text)!;
      const parsed = parseSpecText(text);
      if (!parsed.ok)
        throw new Error(`${file} is invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      const uncapped = expectation.noViolations || expectation.noFailures || parsed.spec.workload.explicit.length > 0;
      const operations = uncapped
        ? parsed.spec.workload.operations
        : Math.min(parsed.spec.workload.operations, presenceCapOps);
      const report = runScenario({ ...parsed.spec, workload: { ...parsed.spec.workload, operations } });
      const found = new Set([...report.violations.map((v) => v.class), ...report.failures.map((f) => f.class)]);
      const missing = expectation.classes.filter((c) => !found.has(c as never));
      expect({ file, missing }).toEqual({ file, missing: [] });
      if (expectation.noViolations)
        expect({ file, violations: report.violations.map((v) => v.class) }).toEqual({ file, violations: [] });
      if (expectation.noFailures)
        expect({ file, failures: report.failures.map((f) => f.class) }).toEqual({ file, failures: [] });
    },
    120_000,
  );
});
