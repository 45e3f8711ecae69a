import { failureDetectors, violationSeverityFor, type ExposureFacts, type ViolationDetector } from '../detectors/index';
import type { FailureClass, FailureFinding, ViolationFinding } from '../report/report.types';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const eventIndex: Record<ExposureFacts['event'], number> = {
  'map-copy': 0,
  'device-write': 1,
  'cpu-write': 2,
  'map-direct': 3,
  'unmap-residue': 4,
  'sync-subrange': 5,
};
const memoryIndex: Record<ExposureFacts['memory'], number> = {
  swiotlb: 0,
  'restricted-pool': 1,
  'transient-pool': 2,
  'atomic-pool': 3,
  'coherent-pages': 4,
  'cc-shared-buffer': 5,
  'vmbus-gpadl': 6,
};
const dataIndex: Record<ExposureFacts['dataClass'], number> = { secret: 0, sensitive: 1, stale: 2, unknown: 3 };

/** One cached cause of addViolation(): the fields its key is built from, and its finding. */
interface RecentCause {
  detector: ViolationDetector | null;
  deviceIndex: number;
  event: ExposureFacts['event'] | null;
  memory: ExposureFacts['memory'] | null;
  dataClass: ExposureFacts['dataClass'] | null;
  rule: string;
  detail: string;
  finding: Mutable<ViolationFinding> | null;
}

/**
 * Accumulates violations and failures by fingerprint while a run executes. Memory is bounded by the
 * number of distinct causes (class × device × path × rule), not by the number of operations.
 *
 * The hot path (an exposure at every bounced map) allocates nothing once a cause has been seen:
 * causes are looked up by a numeric key built from interned indices; the fingerprint, path and
 * explanation strings are built once per cause.
 */
export class FindingLedger {
  private readonly violations = new Map<string, Mutable<ViolationFinding>>();
  private readonly failures = new Map<string, Mutable<FailureFinding>>();
  private readonly violationCauses = new Map<number, Mutable<ViolationFinding>>();
  private readonly failureCauses = new Map<number, Mutable<FailureFinding>>();
  private readonly interned = new Map<string, number>();

  constructor(private readonly platformProfile: string) {}

  /** The last causes seen by addViolation(), most recent overwritten round robin. */
  private readonly recentCauses: RecentCause[] = Array.from({ length: 4 }, () => ({
    detector: null,
    deviceIndex: -1,
    event: null,
    memory: null,
    dataClass: null,
    rule: '',
    detail: '',
    finding: null,
  }));
  private nextRecentCause = 0;

  private lastRule = '';
  private lastRuleIndex = -1;
  private lastDetail = '';
  private lastDetailIndex = -1;

  private internRule(text: string): number {
    if (text !== this.lastRule || this.lastRuleIndex < 0) {
      this.lastRule = text;
      this.lastRuleIndex = this.intern(text);
    }
    return this.lastRuleIndex;
  }

  private internDetail(text: string): number {
    if (text !== this.lastDetail || this.lastDetailIndex < 0) {
      this.lastDetail = text;
      this.lastDetailIndex = this.intern(text);
    }
    return this.lastDetailIndex;
  }

  private intern(text: string): number {
    let index = this.interned.get(text);
    if (index === undefined) {
      index = this.interned.size;
      this.interned.set(text, index);
    }
    return index;
  }

  /** Records `bytes` exposed at op `op`, attributed to `detector`. `deviceIndex` numbers the device within the run. */
  addViolation(
    detector: ViolationDetector,
    facts: ExposureFacts,
    deviceIndex: number,
    op: number,
    bytes: number,
  ): void {
    // The last few causes first: an exposure usually repeats one of them, and comparing the
    // fields of the key (interned strings compare by pointer) costs less than building the key.
    const recent = this.recentCauses;
    for (let i = 0; i < recent.length; i++) {
      const cause = recent[i]!;
      if (
        cause.detector === detector &&
        cause.deviceIndex === deviceIndex &&
        cause.event === facts.event &&
        cause.memory === facts.memory &&
        cause.dataClass === facts.dataClass &&
        cause.rule === facts.rule &&
        cause.detail === facts.detail
      ) {
        const found = cause.finding!;
        found.count++;
        found.bytesExposed += bytes;
        return;
      }
    }
    const finding = this.violationFor(detector, facts, deviceIndex, op);
    finding.count++;
    finding.bytesExposed += bytes;
    const slot = recent[this.nextRecentCause]!;
    this.nextRecentCause = (this.nextRecentCause + 1) % recent.length;
    slot.detector = detector;
    slot.deviceIndex = deviceIndex;
    slot.event = facts.event;
    slot.memory = facts.memory;
    slot.dataClass = facts.dataClass;
    slot.rule = facts.rule;
    slot.detail = facts.detail;
    slot.finding = finding;
  }

  /** The finding of a cause (created with count 0 when new). */
  private violationFor(
    detector: ViolationDetector,
    facts: ExposureFacts,
    deviceIndex: number,
    op: number,
  ): Mutable<ViolationFinding> {
    const classIndex = Number(detector.class.slice(1));
    const key =
      ((((deviceIndex * 16 + classIndex) * 8 + eventIndex[facts.event]) * 8 + memoryIndex[facts.memory]) * 4 +
        dataIndex[facts.dataClass]) *
        1048576 +
      this.internRule(facts.rule) * 1024 +
      this.internDetail(facts.detail);
    const cached = this.violationCauses.get(key);
    if (cached) return cached;
    const path = detector.path(facts);
    const fingerprint = `${detector.class}|${facts.deviceId}|${path}|${facts.rule}|${this.platformProfile}|${facts.dataClass}`;
    let finding = this.violations.get(fingerprint);
    if (!finding) {
      finding = {
        class: detector.class,
        severity: violationSeverityFor(detector, facts.dataClass),
        deviceId: facts.deviceId,
        firstOp: op,
        count: 0,
        bytesExposed: 0,
        dataClass: facts.dataClass,
        path,
        rule: facts.rule,
        explanation: detector.explain(facts),
        fingerprint,
      };
      this.violations.set(fingerprint, finding);
    }
    this.violationCauses.set(key, finding);
    return finding;
  }

  /**
   * Records one failure. `log` is called only when the cause is new (the finding keeps the first
   * line), so repeated failures build no strings.
   */
  addFailure(
    failureClass: FailureClass,
    deviceId: string,
    deviceIndex: number,
    op: number,
    rule: string,
    detail: string,
    log: (() => string | null) | string | null,
    count = 1,
  ): void {
    const key =
      (deviceIndex * 16 + Number(failureClass.slice(1))) * 1048576 + this.intern(rule) * 1024 + this.intern(detail);
    const cached = this.failureCauses.get(key);
    if (cached) {
      cached.count += count;
      return;
    }
    const fingerprint = `${failureClass}|${deviceId}|${rule}|${this.platformProfile}`;
    let finding = this.failures.get(fingerprint);
    if (finding) finding.count += count;
    else {
      const detector = failureDetectors[failureClass];
      finding = {
        class: failureClass,
        severity: detector.severity,
        deviceId,
        firstOp: op,
        count,
        kernelLogLine: typeof log === 'function' ? log() : log,
        rule,
        explanation: detector.explain(rule, detail),
        fingerprint,
      };
      this.failures.set(fingerprint, finding);
    }
    this.failureCauses.set(key, finding);
  }

  /** Count of failures of one class on one device so far (for metrics). */
  failureCount(failureClass: FailureClass): number {
    let total = 0;
    for (const f of this.failures.values()) if (f.class === failureClass) total += f.count;
    return total;
  }

  /** Findings in a stable order (class, device, fingerprint), so reports are byte-identical. */
  violationList(): ViolationFinding[] {
    return [...this.violations.values()].sort(byClassDeviceFingerprint);
  }

  failureList(): FailureFinding[] {
    return [...this.failures.values()].sort(byClassDeviceFingerprint);
  }
}

function byClassDeviceFingerprint(
  a: { class: string; deviceId: string; fingerprint: string },
  b: { class: string; deviceId: string; fingerprint: string },
): number {
  const classOrder = Number(a.class.slice(1)) - Number(b.class.slice(1));
  if (classOrder !== 0) return classOrder;
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  return a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0;
}
