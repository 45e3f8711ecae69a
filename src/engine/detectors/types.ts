import type { DataClass, FailureClass, Severity, ViolationClass } from '../report/report.types';
import type { DeviceKind, DeviceTrust, DmaDirection } from '../spec/names';

/**
 * What happened to confidential bytes at one operation (docs/engine-contract.md §5), as the run hands it to the
 * detectors. The run fills one mutable instance and reuses it, so attribution allocates nothing on
 * the hot path; detectors must not keep a reference to it.
 */
export interface ExposureFacts {
  /** Which moment put the bytes into shared memory. */
  event: ExposureEvent;
  /** Which shared memory holds them. */
  memory: ExposureMemory;
  deviceId: string;
  deviceKind: DeviceKind;
  trust: DeviceTrust;
  /** Direction of the streaming mapping; null for coherent memory. */
  dir: DmaDirection | null;
  /** Class of the bytes as stored (`stale` for the old contents of a receive buffer). */
  dataClass: Exclude<DataClass, 'public'>;
  /** The bounce happened only because of `swiotlb=force` (decision.forcedOnlyByCmdline). */
  forcedOnlyByCmdline: boolean;
  /** Rule id of the decision that put the bytes there (A4, B5, C5, C9, netvsc-gpadl, …). */
  rule: string;
  /** Extra path detail shown in the kernel path (e.g. "default pool, forced"); part of the cause. */
  detail: string;
}

export type ExposureEvent =
  /** swiotlb_tbl_map_single()'s unconditional map-time copy (also when swiotlb_map() then fails, F4). */
  | 'map-copy'
  /** A trusted backend's DMA write landing in a shared bounce buffer. */
  | 'device-write'
  /** The driver storing data in coherent memory. */
  | 'cpu-write'
  /** A direct mapping of memory that is already shared (CC_SHARED, GPADL buffers). */
  | 'map-direct'
  /** Bounce slots released without scrubbing. */
  | 'unmap-residue'
  /** A sync of part of a mapping: the rest keeps what the map-time copy put there. */
  | 'sync-subrange';

export type ExposureMemory =
  | 'swiotlb'
  | 'restricted-pool'
  | 'transient-pool'
  | 'atomic-pool'
  | 'coherent-pages'
  | 'cc-shared-buffer'
  | 'vmbus-gpadl';

/** One violation class (docs/kernel-dma.md §10.1, V0 of docs/engine-contract.md §5). One file per class. */
export interface ViolationDetector {
  readonly class: ViolationClass;
  readonly title: string;
  /** The kernel function(s) the class is about; every explanation cites one of them. */
  readonly kernelFunction: string;
  /** `by-data`: critical for secret (and stale secret) bytes, high for sensitive and unknown; `info` whatever the data. */
  readonly severity: 'by-data' | 'info';
  /**
   * `primary`: attributes an exposure (exactly one primary class per exposure, by precedence);
   * `additive`: adds info on top of an exposure already reported (V6, V7);
   * `not-modelled`: the class exists in the reference but the model has no path that produces it.
   */
  readonly role: 'primary' | 'additive' | 'not-modelled';
  /** Lower wins among primary detectors (docs/engine-contract.md §5 order). */
  readonly precedence: number;
  matches(facts: ExposureFacts): boolean;
  /** Kernel call path (part of the fingerprint). */
  path(facts: ExposureFacts): string;
  explain(facts: ExposureFacts): string;
}

export type FailureFamily = 'f-swiotlb' | 'f-direct' | 'f-coherent' | 'f-device' | 'f-conversion' | 'f-performance';

/** One failure class (docs/kernel-dma.md §10.2). Grouped by family, one file per family. */
export interface FailureDetector {
  readonly class: FailureClass;
  readonly family: FailureFamily;
  readonly title: string;
  readonly kernelFunction: string;
  readonly severity: Severity;
  /** How the kernel reports it: the exact log template (printf style) or null when it is silent. */
  readonly logTemplate: string | null;
  /** Rate limiting of that line (docs/kernel-dma.md §14.2 item 7). */
  readonly logLimit: 'once' | 'ratelimited' | 'every' | 'none';
  /** Explanation for a failure with the given rule and detail. */
  explain(rule: string, detail: string): string;
}

/**
 * docs/engine-contract.md §5: critical when secret bytes are exposed, high for sensitive (and stale) bytes.
 * Unknown bytes (not classified) are rated like sensitive: they might be secret, but the engine does not
 * guess; the finding names the class `unknown` so the user classifies them and re-runs.
 */
export const dataSeverity = (dataClass: DataClass): Severity => (dataClass === 'secret' ? 'critical' : 'high');
