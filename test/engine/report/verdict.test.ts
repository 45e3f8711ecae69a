import { findingMeetsGate, parseFindingGate, summarizeFindings, summaryMeetsGate } from '../../../src/engine/index';

const violation = (cls: string, severity: 'critical' | 'high' | 'info', count = 1, bytesExposed = 4096) =>
  ({ class: cls, severity, count, bytesExposed }) as const;
const failure = (cls: string, severity: 'critical' | 'high' | 'info', count = 1) =>
  ({ class: cls, severity, count }) as const;

describe('summarizeFindings (the verdict model)', () => {
  it('is clean with no findings, and with info violations only', () => {
    expect(summarizeFindings([], []).levels).toEqual(['clean']);
    const info = summarizeFindings([violation('V9', 'info', 3)], []);
    expect(info.verdict).toBe('clean');
    expect(info.bySeverity).toEqual({ critical: 0, high: 0, info: 1 });
    expect(info.byClass).toEqual({ V9: 3 });
  });

  it('rates a high-severity (stale or sensitive) exposure exposes-data, never clean', () => {
    const s = summarizeFindings([violation('V2', 'high', 5, 5 * 2 ** 30)], []);
    expect(s.verdict).toBe('exposes-data');
    expect(s.levels).toEqual(['exposes-data']);
    expect(s.bytesExposed).toBe(5 * 2 ** 30);
  });

  it('lists every level that applies, worst first: secrets do not hide failing', () => {
    const s = summarizeFindings(
      [violation('V1', 'critical', 2), violation('V2', 'high')],
      [failure('F5', 'high', 9958), failure('F15', 'info', 7)],
    );
    expect(s.verdict).toBe('exposes-secrets');
    expect(s.levels).toEqual(['exposes-secrets', 'exposes-data', 'failing', 'degraded']);
    expect(s.bySeverity).toEqual({ critical: 1, high: 2, info: 1 });
    expect(s.failedOperations).toBe(9958);
    expect(Object.keys(s.byClass)).toEqual(['V1', 'V2', 'F5', 'F15']);
  });

  it('rates info failures (F15 cost findings) alone as degraded, failures above info as failing', () => {
    expect(summarizeFindings([], [failure('F15', 'info', 300)]).levels).toEqual(['degraded']);
    const failing = summarizeFindings([], [failure('F1', 'high', 4)]);
    expect(failing.levels).toEqual(['failing']);
    expect(failing.failedOperations).toBe(4);
  });
});

describe('parseFindingGate / findingMeetsGate', () => {
  const gate = (text: string) => {
    const parsed = parseFindingGate(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.gate;
  };

  it('a severity matches findings at or above it', () => {
    const high = gate('high');
    expect(findingMeetsGate(high, { class: 'V1', severity: 'critical' })).toBe(true);
    expect(findingMeetsGate(high, { class: 'F5', severity: 'high' })).toBe(true);
    expect(findingMeetsGate(high, { class: 'F15', severity: 'info' })).toBe(false);
    expect(findingMeetsGate(gate('critical'), { class: 'V2', severity: 'high' })).toBe(false);
  });

  it('classes match whatever their severity; the lowest severity listed wins', () => {
    const g = gate('critical, f15 ,info');
    expect(g.classes).toEqual(['F15']);
    expect(g.severity).toBe('info');
    expect(findingMeetsGate(gate('F15'), { class: 'F15', severity: 'info' })).toBe(true);
    expect(findingMeetsGate(gate('F15'), { class: 'V1', severity: 'critical' })).toBe(false);
  });

  it('verdict levels match the run', () => {
    expect(summaryMeetsGate(gate('failing'), ['exposes-data', 'failing'], [])).toBe(true);
    expect(summaryMeetsGate(gate('exposes-secrets'), ['exposes-data'], [])).toBe(false);
  });

  it('names what is wrong in a bad gate', () => {
    expect(parseFindingGate('')).toEqual({ ok: false, error: expect.stringContaining('at least one') });
    expect(parseFindingGate('high,V12')).toEqual({ ok: false, error: expect.stringContaining('V12: no such class') });
    expect(parseFindingGate('severe')).toEqual({ ok: false, error: expect.stringContaining('severe: not a severity') });
    expect(parseFindingGate('clean').ok).toBe(false);
  });
});
