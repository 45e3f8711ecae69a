import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { runScenario } from '../../../src/engine/index';
import {
  candidateSpec,
  ddmin,
  matchingFindings,
  minimizeFinding,
  parseFindingSelector,
  renderReproducer,
  type FindingSelector,
  type MinimizeSuccess,
} from '../../../src/engine/minimize/index';
import { type NormalizedScenario, validateScenario } from '../../../src/engine/spec/validate';

const examples = path.join(__dirname, '..', '..', '..', 'examples');

type RawSpec = { workload: { operations?: number } } & Record<string, unknown>;

function example(name: string, patch: (spec: RawSpec) => void = () => undefined): NormalizedScenario {
  const raw = parse(readFileSync(path.join(examples, name), 'utf8')) as RawSpec;
  patch(raw);
  const result = validateScenario(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

function selector(text: string): FindingSelector {
  const parsed = parseFindingSelector(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.selector;
}

/** True when the op list without op `i` is invalid or no longer shows the finding. */
function removalLoses(spec: NormalizedScenario, sel: FindingSelector, i: number): boolean {
  const ops = spec.workload.explicit.filter((_, j) => j !== i);
  const checked = validateScenario(candidateSpec(spec, ops));
  return !checked.ok || matchingFindings(runScenario(checked.spec), sel).length === 0;
}

describe('minimizeFinding on the S4 example (Confidential VMBus storvsc bounced through shared SWIOTLB)', () => {
  const keep = selector('V1 on storvsc0');
  const spec = example('s04-hyperv-snp-confidential-storvsc.yaml', (raw) => {
    raw.workload.operations = 100_000;
  });
  let result: MinimizeSuccess;
  beforeAll(() => {
    const outcome = minimizeFinding(spec, keep);
    if (!outcome.ok) throw new Error(outcome.error);
    result = outcome;
  });

  it('turns 100,000 generated ops into a few explicit ops that still show V1 on storvsc0', () => {
    expect(result.materialized).toBe(true);
    expect(result.opsBefore).toBe(100_000);
    expect(result.spec.workload.explicit.length).toBeGreaterThanOrEqual(1);
    expect(result.spec.workload.explicit.length).toBeLessThanOrEqual(5);
    expect(result.complete).toBe(true);
    // swiotlb_tbl_map_single() bounces the trusted device's buffer into the shared pool: V1.
    expect(matchingFindings(runScenario(result.spec), keep)).toEqual([
      expect.objectContaining({ class: 'V1', deviceId: 'storvsc0' }),
    ]);
  });

  it('is 1-minimal: removing any single op loses the finding', () => {
    result.spec.workload.explicit.forEach((_, i) => expect(removalLoses(result.spec, keep, i)).toBe(true));
  });

  it('renders a self-contained spec whose header names the finding, the kernel log and the run command', () => {
    const yaml = renderReproducer(result, keep, 'v1-storvsc.yaml', 'examples/s04.yaml');
    expect(yaml).toContain("# Minimal reproducer of 'V1 on storvsc0'");
    expect(yaml).toContain('# Run: dmasim run v1-storvsc.yaml');
    expect(yaml).toMatch(/# {3}\[boot\] software IO TLB: area num 16\./);
    const reparsed = validateScenario(parse(yaml));
    expect(reparsed.ok).toBe(true);
    if (reparsed.ok) expect(matchingFindings(runScenario(reparsed.spec), keep)).toHaveLength(1);
  });
});

describe('minimizeFinding on an explicit list', () => {
  const spec = example('explicit-storvsc-roundtrip.yaml');
  it('keeps the stale-data V1 (high) with the device write it needs removed, and is deterministic', () => {
    const keep = selector('V1 on storvsc0 high');
    const first = minimizeFinding(spec, keep);
    const second = minimizeFinding(spec, keep);
    if (!first.ok || !second.ok) throw new Error('minimize failed');
    expect(second.spec).toEqual(first.spec);
    expect(first.spec.workload.explicit.length).toBeLessThan(spec.workload.explicit.length);
    first.spec.workload.explicit.forEach((_, i) => expect(removalLoses(first.spec, keep, i)).toBe(true));
  });
  it('refuses a finding the spec does not show, listing what it does show', () => {
    expect(minimizeFinding(spec, selector('F1'))).toEqual({
      ok: false,
      error: expect.stringMatching(/does not show 'F1' \(findings: V1 on storvsc0/),
    });
  });
});

describe('ddmin', () => {
  it('finds a 1-minimal subset for a conjunction of items', () => {
    const items = Array.from({ length: 64 }, (_, i) => i);
    const { items: kept } = ddmin(items, (c) => c.includes(7) && c.includes(40) && c.includes(41));
    expect(kept).toEqual([7, 40, 41]);
  });
  it('stops early when told to, keeping a set that still passes', () => {
    const result = ddmin(
      [1, 2, 3, 4],
      (c) => c.includes(3),
      () => true,
    );
    expect(result).toEqual({ items: [1, 2, 3, 4], complete: false });
  });
});

describe('parseFindingSelector', () => {
  it('rejects text without a finding class, naming the expected form', () => {
    expect(parseFindingSelector('storvsc0')).toEqual({ ok: false, error: expect.stringContaining('V0–V9 or F1–F16') });
    expect(parseFindingSelector('V1 at storvsc0')).toEqual({
      ok: false,
      error: expect.stringContaining("unexpected 'at'"),
    });
  });
});
