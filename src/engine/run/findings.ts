import type { DataClass, FailureClass, FailureFinding, Severity, ViolationClass, ViolationFinding } from '../report/report.types';

/**
 * Accumulates violations and failures by fingerprint while a run executes. Memory is bounded by the
 * number of distinct causes (class × device × path × rule), not by the number of operations.
 */
export class FindingLedger {
  private readonly violations = new Map<string, { -readonly [K in keyof ViolationFinding]: ViolationFinding[K] }>();
  private readonly failures = new Map<string, { -readonly [K in keyof FailureFinding]: FailureFinding[K] }>();

  constructor(private readonly platformProfile: string) {}

  addViolation(input: { class: ViolationClass; deviceId: string; op: number; bytes: number; dataClass: DataClass; path: string; rule: string; explanation: string }): void {
    const fingerprint = `${input.class}|${input.deviceId}|${input.path}|${input.rule}|${this.platformProfile}|${input.dataClass}`;
    const existing = this.violations.get(fingerprint);
    if (existing) {
      existing.count++;
      existing.bytesExposed += input.bytes;
      return;
    }
    this.violations.set(fingerprint, {
      class: input.class,
      severity: violationSeverity(input.class, input.dataClass),
      deviceId: input.deviceId,
      firstOp: input.op,
      count: 1,
      bytesExposed: input.bytes,
      dataClass: input.dataClass,
      path: input.path,
      rule: input.rule,
      explanation: input.explanation,
      fingerprint,
    });
  }

  addFailure(input: { class: FailureClass; deviceId: string; op: number; rule: string; kernelLogLine: string | null; explanation: string }): void {
    const fingerprint = `${input.class}|${input.deviceId}|${input.rule}|${this.platformProfile}`;
    const existing = this.failures.get(fingerprint);
    if (existing) {
      existing.count++;
      return;
    }
    this.failures.set(fingerprint, {
      class: input.class,
      severity: input.class === 'F15' ? 'info' : 'high',
      deviceId: input.deviceId,
      firstOp: input.op,
      count: 1,
      kernelLogLine: input.kernelLogLine,
      rule: input.rule,
      explanation: input.explanation,
      fingerprint,
    });
  }

  /** Findings in a stable order (class, device, fingerprint), so reports are byte-identical. */
  violationList(): ViolationFinding[] {
    return [...this.violations.values()].sort(byClassDeviceFingerprint);
  }

  failureList(): FailureFinding[] {
    return [...this.failures.values()].sort(byClassDeviceFingerprint);
  }
}

const infoClasses: ReadonlySet<ViolationClass> = new Set(['V0', 'V6', 'V7', 'V8', 'V9']);

/** engine.md §5: critical for secret bytes, high for sensitive; V0, V6-V9 are info whatever the data. */
export function violationSeverity(violationClass: ViolationClass, dataClass: DataClass): Severity {
  if (infoClasses.has(violationClass)) return 'info';
  return dataClass === 'secret' ? 'critical' : 'high';
}

function byClassDeviceFingerprint(a: { class: string; deviceId: string; fingerprint: string }, b: { class: string; deviceId: string; fingerprint: string }): number {
  const classOrder = Number(a.class.slice(1)) - Number(b.class.slice(1));
  if (classOrder !== 0) return classOrder;
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  return a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0;
}
