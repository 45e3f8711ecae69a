import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import { validateXML } from 'xmllint-wasm';
import { parseFindingGate } from '../../../src/engine/index';
import {
  type RunExportContext,
  type RunFinding,
  toRunJunitXml,
  toRunSarif,
} from '../../../src/modules/regression/exports';

// Run-level CI exports with findings present, validated against the published schemas (see
// export-schemas.test.ts): findings at or above the gate are JUnit failures and SARIF `error`
// results; below it they are listed (system-out) or `warning`/`note` results; rules carry help.
const schemas = path.join(__dirname, '..', '..', 'fixtures', 'schemas');

const v1: RunFinding = {
  kind: 'violation',
  class: 'V1',
  severity: 'critical',
  deviceId: 'storvsc0',
  path: 'dma_direct_map_phys → swiotlb_map',
  rule: 'A4',
  explanation: 'secret <bytes> & more bounced through shared SWIOTLB',
  fingerprint: 'fp-v1',
  count: '3',
  bytesExposed: '12288',
  dataClass: 'secret',
  kernelLogLine: null,
};
const v6: RunFinding = { ...v1, class: 'V6', severity: 'info', fingerprint: 'fp-v6' };
const f5: RunFinding = {
  kind: 'failure',
  class: 'F5',
  severity: 'high',
  deviceId: 'nvme0',
  path: null,
  rule: 'B5',
  explanation: 'a 32-bit device cannot reach the buffer',
  fingerprint: 'fp-f5',
  count: '9958',
  bytesExposed: '0',
  dataClass: null,
  kernelLogLine: 'nvme 0000:00:04.0: swiotlb buffer is full (sz: 4096 bytes)',
};

function context(failOn: string): RunExportContext {
  const parsed = parseFindingGate(failOn);
  if (!parsed.ok) throw new Error(parsed.error);
  const run = {
    runId: 'r1',
    scenarioName: 'storvsc "vmbus"',
    entryName: 'lb',
    profile: 'lb',
    status: 'SUCCEEDED',
    errorCode: null,
    errorMessage: null,
    levels: ['exposes-secrets', 'failing'],
    findings: [v1, v6, f5],
  };
  return {
    name: 'storvsc',
    id: 'r1',
    engineVersion: '0.4.0',
    gate: parsed.gate,
    gateText: failOn,
    runs: [
      run,
      { ...run, runId: 'r2', scenarioName: 'clean', levels: ['clean'], findings: [v6] },
      {
        ...run,
        runId: 'r3',
        status: 'FAILED',
        errorCode: 'SPEC_INVALID',
        errorMessage: 'bad',
        levels: [],
        findings: [],
      },
      { ...run, runId: 'r4', status: 'RUNNING', levels: [], findings: [] },
    ],
  };
}

async function junitErrors(xml: string): Promise<string[]> {
  const result = await validateXML({
    xml: [{ fileName: 'run.xml', contents: xml }],
    schema: [readFileSync(path.join(schemas, 'jenkins-junit.xsd'), 'utf8')],
  });
  return result.errors.map((e) => e.rawMessage);
}

function sarifValidator() {
  const schema = JSON.parse(readFileSync(path.join(schemas, 'sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return new Ajv({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
}

describe('run-level JUnit and SARIF', () => {
  it('makes every finding at or above the gate a JUnit failure, and validates against junit-4.xsd', async () => {
    const xml = toRunJunitXml(context('high'));

    expect(await junitErrors(xml)).toEqual([]);
    expect(xml).toContain('<testsuites name="dmasim" tests="4" failures="1" errors="1">');
    expect(xml.match(/<failure type="(V\d|F\d+)"/g)).toEqual(['<failure type="V1"', '<failure type="F5"']);
    expect(xml).toContain('<error type="SPEC_INVALID"');
    expect(xml).toContain('<skipped>run r4 is RUNNING</skipped>');
    expect(xml).not.toContain('<failure type="V6"');
  });

  it('follows the gate: critical fails only V1, a class list fails only that class', async () => {
    const critical = toRunJunitXml(context('critical'));
    const f5Only = toRunJunitXml(context('F5'));

    expect(critical.match(/<failure type="\w+"/g)).toEqual(['<failure type="V1"']);
    expect(f5Only.match(/<failure type="\w+"/g)).toEqual(['<failure type="F5"']);
    expect(await junitErrors(f5Only)).toEqual([]);
  });

  it('gives SARIF results levels by the gate and rules with help, and validates against SARIF 2.1.0', () => {
    const validate = sarifValidator();
    const sarif = toRunSarif(context('critical')) as {
      runs: Array<{
        results: Array<{ ruleId: string; level: string; baselineState?: string }>;
        tool: { driver: { rules: Array<{ id: string; help: { text: string }; helpUri: string }> } };
      }>;
    };

    expect(validate(sarif)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    const run = sarif.runs[0]!;
    expect(run.results.map((r) => `${r.ruleId}:${r.level}`)).toEqual(['V1:error', 'V6:note', 'F5:warning', 'V6:note']);
    expect(run.results.every((r) => r.baselineState === undefined)).toBe(true);
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['V1', 'V6', 'F5']);
    for (const rule of run.tool.driver.rules) {
      expect(rule.help.text).toContain('docs/rules-and-classes.md');
      expect(rule.helpUri).toMatch(/rules-and-classes\.md$/);
    }
    expect(run.tool.driver.rules[0]?.help.text).toMatch(/^V1: Trusted device bounced/);
  });
});
