import { summarizeFindings } from '../../../src/engine/index';
import { parseRunOverlays, parseRunSummary } from '../../../src/modules/run/run.json';

// The run table's JSON columns are parsed where rows become Runs: what the result transaction
// writes reads back unchanged, and a row that does not match fails with the column named.
describe('run JSON columns', () => {
  it('reads overlays as stored: a variant only where one was written', () => {
    const stored = [{ name: 'storvsc-bypass' }, { name: 'device-cc-accepted', variant: 'posted+force-bounce-off' }];
    const parsed = parseRunOverlays(JSON.parse(JSON.stringify(stored)));
    expect(parsed).toStrictEqual(stored);
    expect(Object.keys(parsed[0]!)).toEqual(['name']);
  });

  it('reads back the summary the result transaction stores (the engine verdict summary and counts)', () => {
    const summary = {
      ...summarizeFindings(
        [
          { class: 'V1', severity: 'critical', count: 3, bytesExposed: 12288 },
          { class: 'V6', severity: 'info', count: 2, bytesExposed: 0 },
        ],
        [{ class: 'F1', severity: 'high', count: 7 }],
      ),
      operations: 100,
      violations: 2,
      failures: 1,
    };
    expect(summary.levels).toEqual(['exposes-secrets', 'failing']);
    expect(parseRunSummary(JSON.parse(JSON.stringify(summary)))).toStrictEqual(summary);
    expect(parseRunSummary(null)).toBeNull();
  });

  it('names the column and the field of a row that does not match', () => {
    expect(() => parseRunOverlays([{ variant: 'dan' }])).toThrow(
      /^stored run\.overlays does not match its schema: 0\.name: /,
    );
    expect(() =>
      parseRunSummary({
        verdict: 'leaky',
        levels: [],
        operations: 1,
        violations: 0,
        failures: 0,
        bySeverity: { critical: 0, high: 0, info: 0 },
        byClass: {},
        failedOperations: 0,
        bytesExposed: 0,
      }),
    ).toThrow(/^stored run\.summary does not match its schema: verdict: /);
  });
});
