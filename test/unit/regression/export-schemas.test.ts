import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import { validateXML } from 'xmllint-wasm';
import { compareBatches } from '../../../src/modules/regression/comparison';
import { toJunitXml, toSarif, type ExportContext } from '../../../src/modules/regression/exports';
import type { ComparedRun } from '../../../src/modules/regression/regression.types';

// The CI exports must be accepted by the tools that read them, so they are validated against the
// published schemas shipped in test/fixtures/schemas (see its README): SARIF 2.1.0's JSON Schema
// with Ajv, JUnit XML against Jenkins' junit-4.xsd with libxml2 (xmllint compiled to WebAssembly).
// The batch exercises every verdict the exporters map: REGRESSED (failure), ERROR, NOT_COMPARABLE
// (skipped), PASS, and a waived finding (SARIF suppression).
const schemas = path.join(__dirname, '..', '..', 'fixtures', 'schemas');
const now = new Date('2026-11-29T03:00:00Z');

function run(overrides: Partial<ComparedRun>): ComparedRun {
  return {
    scenarioId: 's1',
    scenarioName: 'storvsc <&> "vmbus"',
    entryName: 'kernel',
    runId: 'r1',
    profile: 'lb',
    status: 'SUCCEEDED',
    levels: ['clean'],
    engineVersion: '0.1.0',
    specHash: 'h',
    violations: [],
    metrics: { 'swiotlb.hiwater': 10 },
    ...overrides,
  };
}

const v1 = {
  fingerprint: 'fp-1',
  class: 'V1',
  severity: 'critical',
  deviceId: 'storvsc0',
  path: 'dma_direct_map_phys → swiotlb_map',
  rule: 'A4',
  explanation: 'secret bytes bounced through shared SWIOTLB (swiotlb_tbl_map_single)',
  dataClass: 'secret',
  count: 3n,
  bytesExposed: 12288n,
};
const v2 = { ...v1, fingerprint: 'fp-2', class: 'V2', severity: 'medium' };
const f5 = { ...v1, fingerprint: 'fp-3', class: 'V6', severity: 'info', deviceId: 'netvsc0' };

function context(): ExportContext {
  const comparison = compareBatches({
    candidate: [
      run({ violations: [v1, v2, f5] }),
      run({ scenarioId: 's2', scenarioName: 'nvme', runId: 'r2' }),
      run({ scenarioId: 's3', scenarioName: 'netvsc', runId: 'r3', status: 'FAILED' }),
      run({ scenarioId: 's4', scenarioName: 'new', runId: 'r4' }),
    ],
    baseline: [
      run({ violations: [v2] }),
      run({ scenarioId: 's2', scenarioName: 'nvme', runId: 'b2' }),
      run({ scenarioId: 's3', scenarioName: 'netvsc', runId: 'b3' }),
    ],
    thresholds: [],
    triage: new Map([['fp-2', { state: 'WAIVED', reason: 'tracked in JIRA-1', owner: 'bob', expiresAt: null }]]),
    seenBefore: new Set(),
    now,
  });
  return { suiteName: 'vmbus', batchId: 'b-1', baselineBatchId: 'b-0', engineVersion: '0.1.0', comparison };
}

function sarifValidator() {
  const schema = JSON.parse(readFileSync(path.join(schemas, 'sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  // Formats (uri, date-time) are not what this test is about; the schema's language-tag pattern is
  // not valid with the u flag, so patterns are compiled as plain RegExps as draft-04 validators do.
  return new Ajv({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
}

async function junitErrors(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'export.xml', contents: xml }],
    schema: [readFileSync(path.join(schemas, 'jenkins-junit.xsd'), 'utf8')],
  });
  return result.errors.map((e) => e.rawMessage);
}

describe('CI exports against their published schemas', () => {
  it('produces a SARIF log the SARIF 2.1.0 schema accepts', () => {
    const validate = sarifValidator();
    const sarif = toSarif(context());

    const valid = validate(sarif);

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is a schema the SARIF validator really applies (a log without runs is rejected)', () => {
    const validate = sarifValidator();
    const { runs: _runs, ...broken } = toSarif(context());

    expect(validate(broken)).toBe(false);
    expect(
      validate.errors?.some((e) => e.params && 'missingProperty' in e.params && e.params.missingProperty === 'runs'),
    ).toBe(true);
  });

  it('produces JUnit XML that validates against Jenkins junit-4.xsd', async () => {
    const xml = toJunitXml(context());

    expect(await junitErrors(xml)).toEqual([]);
  });

  it('is a schema the JUnit validator really applies (a testcase without a name is rejected)', async () => {
    const xml = toJunitXml(context());
    const broken = xml.replace(/(<testcase classname="[^"]*") name="[^"]*"/, '$1');

    expect(broken).not.toBe(xml);

    expect((await junitErrors(broken)).length).toBeGreaterThan(0);
  });
});
