import type { EngineReport, FailureFinding, ViolationFinding } from '../report/report.types';

/**
 * Which finding a reproducer must keep: `V1`, `F1`, `V1 on storvsc0`, `V2 on net0 high`. Class is
 * required; device and severity narrow it.
 */
export interface FindingSelector {
  readonly findingClass: string;
  readonly deviceId: string | null;
  readonly severity: 'critical' | 'high' | 'info' | null;
  readonly text: string;
}

export type SelectorParse =
  { readonly ok: true; readonly selector: FindingSelector } | { readonly ok: false; readonly error: string };

export function parseFindingSelector(text: string): SelectorParse {
  const words = text.trim().split(/\s+/);
  const [cls = '', ...rest] = words;
  if (!/^(V[0-9]|F([1-9]|1[0-6]))$/.test(cls))
    return { ok: false, error: `'${text}': start with a finding class V0–V9 or F1–F16, e.g. 'V1 on storvsc0' or 'F1'` };
  let deviceId: string | null = null;
  let severity: FindingSelector['severity'] = null;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (word === 'on' && rest[i + 1] !== undefined) deviceId = rest[++i]!;
    else if (word === 'critical' || word === 'high' || word === 'info') severity = word;
    else return { ok: false, error: `'${text}': unexpected '${word}' (form: CLASS [on DEVICE] [critical|high|info])` };
  }
  return { ok: true, selector: { findingClass: cls, deviceId, severity, text: text.trim() } };
}

export function matchingFindings(
  report: EngineReport,
  selector: FindingSelector,
): Array<ViolationFinding | FailureFinding> {
  const all: Array<ViolationFinding | FailureFinding> = [...report.violations, ...report.failures];
  return all.filter(
    (f) =>
      f.class === selector.findingClass &&
      (selector.deviceId === null || f.deviceId === selector.deviceId) &&
      (selector.severity === null || f.severity === selector.severity),
  );
}
