import { compareBatches } from '../../../src/modules/regression/comparison';
import {
  toJunitXml,
  toMarkdown,
  toSarif,
  toSeriesCsv,
  type ExportContext,
} from '../../../src/modules/regression/exports';
import { parseComparisonDetail } from '../../../src/modules/regression/regression.json';
import type { ComparedRun } from '../../../src/modules/regression/regression.types';
import { signWebhookPayload, verifyWebhookSignature } from '../../../src/modules/regression/webhook-signature';
import { assertSarif210, assertWellFormedXml } from './export-validators';

// CI exports are checked for shape: JUnit XML is well-formed with one test case per scenario × entry
// and the right failure/error/skipped elements; SARIF follows the 2.1.0 structure (required
// properties, rule indexes, levels, baseline states); CSV quotes per RFC 4180.
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
    metrics: {},
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

function context(): ExportContext {
  const comparison = compareBatches({
    candidate: [
      run({ violations: [v1, v2], levels: ['exposes-secrets', 'failing'] }),
      run({ scenarioId: 's2', scenarioName: 'nvme', runId: 'r2' }),
      run({ scenarioId: 's3', scenarioName: 'netvsc', runId: 'r3', status: 'FAILED', levels: [] }),
      run({ scenarioId: 's4', scenarioName: 'new', runId: 'r4' }),
    ],
    baseline: [
      run({ violations: [v2], levels: ['exposes-data'] }),
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

describe('toJunitXml', () => {
  it('is well-formed XML with one test case per scenario × entry', () => {
    const xml = toJunitXml(context());

    assertWellFormedXml(xml);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<testsuites name="dmasim" tests="4" failures="1" errors="1">');
    expect(xml).toContain('<testsuite name="vmbus" tests="4" failures="1" errors="1" skipped="1" id="b-1">');
  });

  it('maps REGRESSED to failure, ERROR to error, NOT_COMPARABLE to skipped and escapes names', () => {
    const xml = toJunitXml(context());

    expect(xml).toMatch(/<failure type="REGRESSED" message="NEW_VIOLATION V1\/critical storvsc0 fp-1">/);
    expect(xml).toContain('<error type="ERROR" message="RUN_FAILED">');
    expect(xml).toContain('<skipped>not comparable: NOT_IN_BASELINE</skipped>');
    expect(xml).toContain('classname="dmasim.vmbus.storvsc &lt;&amp;&gt; &quot;vmbus&quot;"');
  });
});

describe('toSarif', () => {
  it('follows the SARIF 2.1.0 structure with one rule per violation class', () => {
    const sarif = toSarif(context());

    assertSarif210(sarif);
    const run0 = (
      sarif['runs'] as Array<{
        tool: { driver: { rules: Array<{ id: string }> } };
        results: Array<Record<string, unknown>>;
      }>
    )[0]!;
    expect(run0.tool.driver.rules.map((r) => r.id)).toEqual(['V1', 'V2']);
    expect(run0.results).toHaveLength(2);
  });

  it('carries the explanation, the kernel path, the fingerprint, the baseline state and waivers as suppressions', () => {
    const results = (toSarif(context())['runs'] as Array<{ results: Array<Record<string, unknown>> }>)[0]!.results;

    expect(results[0]).toMatchObject({
      ruleId: 'V1',
      level: 'error',
      baselineState: 'new',
      partialFingerprints: { 'dmasimFingerprint/v1': 'fp-1' },
      locations: [
        { logicalLocations: [{ fullyQualifiedName: 'dma_direct_map_phys → swiotlb_map', kind: 'function' }] },
      ],
    });
    expect((results[0]!['message'] as { text: string }).text).toContain('swiotlb_tbl_map_single');
    expect(results[1]).toMatchObject({
      ruleId: 'V2',
      level: 'warning',
      baselineState: 'unchanged',
      suppressions: [{ kind: 'external', justification: 'tracked in JIRA-1' }],
    });
  });
});

describe('toSeriesCsv and toMarkdown', () => {
  it('writes CSV with a header and quotes fields that need it', () => {
    const csv = toSeriesCsv([
      {
        runId: 'r1',
        scenario: 'a,b',
        entry: 'kernel',
        profile: 'lb',
        metric: 'swiotlb.used',
        t: 2n ** 60n,
        value: 1.5,
      },
    ]);

    expect(csv).toBe(
      `run_id,scenario,entry,profile,metric,t,value\r\nr1,"a,b",kernel,lb,swiotlb.used,${2n ** 60n},1.5\r\n`,
    );
  });

  it('renders the verdict, the entry table and the violations with waivers', () => {
    const md = toMarkdown(context());

    expect(md).toContain('**Verdict: REGRESSED**');
    expect(md).toContain('| NEW ❌ | V1/critical |');
    expect(md).toContain('tracked in JIRA-1 (bob, until no expiry)');
  });

  it("shows each run's verdict levels, baseline → candidate, beside the comparison's verdict", () => {
    const rows = toMarkdown(context())
      .split('\n')
      .filter((line) => line.startsWith('| '))
      .slice(0, 5)
      .map((line) => line.split(' | ').slice(0, 5).join(' | '));

    expect(rows).toEqual([
      '| scenario | entry | profile (baseline → candidate) | run verdict levels (baseline → candidate) | verdict',
      '| netvsc | kernel | lb → lb | clean → - | ERROR',
      '| new | kernel | - → lb | - → clean | NOT_COMPARABLE',
      '| nvme | kernel | lb → lb | clean → clean | PASS',
      '| storvsc <&> "vmbus" | kernel | lb → lb | exposes-data → exposes-secrets + failing | REGRESSED',
    ]);
  });

  it('reads a comparison stored before verdict levels were recorded, showing its levels as unknown', () => {
    const { comparison } = context();
    const stored = JSON.parse(JSON.stringify(comparison)) as { entries: Array<Record<string, unknown>> };
    for (const entry of stored.entries) {
      delete entry['levels'];
      delete entry['baselineLevels'];
    }

    const md = toMarkdown({ ...context(), comparison: parseComparisonDetail(stored) });

    expect(md).toContain('| nvme | kernel | lb → lb | - → - | PASS |');
  });
});

describe('webhook signatures', () => {
  it('verifies a signature over timestamp and body, and rejects a changed body or key', () => {
    const signature = signWebhookPayload('s3cret', '1700000000', '{"a":1}');

    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('s3cret', '1700000000', '{"a":1}', signature)).toBe(true);
    expect(verifyWebhookSignature('s3cret', '1700000000', '{"a":2}', signature)).toBe(false);
    expect(verifyWebhookSignature('other', '1700000000', '{"a":1}', signature)).toBe(false);
  });
});
