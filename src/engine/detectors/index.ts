import type { FailureClass, Severity, ViolationClass } from '../report/report.types';
import { coherentFailures } from './f-coherent';
import { conversionFailures } from './f-conversion';
import { deviceFailures } from './f-device';
import { directFailures } from './f-direct';
import { performanceFailures } from './f-performance';
import { swiotlbFailures } from './f-swiotlb';
import { dataSeverity, type ExposureFacts, type FailureDetector, type ViolationDetector } from './types';
import { v0 } from './v0-host-backed-payload';
import { v1 } from './v1-trusted-device-bounced';
import { v2 } from './v2-stale-receive-buffer';
import { v3 } from './v3-decrypted-coherent';
import { v4 } from './v4-atomic-pool';
import { v5 } from './v5-swiotlb-force';
import { v6 } from './v6-unscrubbed-slots';
import { v7 } from './v7-subrange-sync';
import { v8 } from './v8-explicitly-shared';
import { v9 } from './v9-vmbus-shared-by-design';

export type {
  ExposureEvent,
  ExposureFacts,
  ExposureMemory,
  FailureDetector,
  FailureFamily,
  ViolationDetector,
} from './types';

/** Every violation class V0–V9, one detector each (docs/kernel-dma.md §10.1, docs/engine-contract.md §5). */
export const violationDetectors: Readonly<Record<ViolationClass, ViolationDetector>> = {
  V0: v0,
  V1: v1,
  V2: v2,
  V3: v3,
  V4: v4,
  V5: v5,
  V6: v6,
  V7: v7,
  V8: v8,
  V9: v9,
};

/** Every failure class F1–F16 (docs/kernel-dma.md §10.2 plus F16), grouped in family files. */
export const failureDetectors: Readonly<Record<FailureClass, FailureDetector>> = Object.fromEntries(
  [
    ...swiotlbFailures,
    ...directFailures,
    ...coherentFailures,
    ...deviceFailures,
    ...conversionFailures,
    ...performanceFailures,
  ].map((d) => [d.class, d]),
) as Record<FailureClass, FailureDetector>;

/** Detectors in attribution order: the most specific class first (docs/engine-contract.md §5: V5 > V1 > V2 > V4 > V3 > V8/V9 > V0; then the additive ones). */
const attributionOrder: readonly ViolationDetector[] = Object.values(violationDetectors)
  .filter((d) => d.role !== 'not-modelled')
  .sort((a, b) => a.precedence - b.precedence || Number(a.class.slice(1)) - Number(b.class.slice(1)));

/** The one class an exposure is attributed to, or null when no detector claims it. */
export function attributeExposure(facts: ExposureFacts): ViolationDetector | null {
  for (let i = 0; i < attributionOrder.length; i++) {
    const detector = attributionOrder[i]!;
    if (detector.matches(facts)) return detector;
  }
  return null;
}

export function violationSeverityFor(detector: ViolationDetector, dataClass: ExposureFacts['dataClass']): Severity {
  return detector.severity === 'info' ? 'info' : dataSeverity(dataClass);
}
