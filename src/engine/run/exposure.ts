import { attributeExposure, type ExposureFacts } from '../detectors/index';
import type { FailureClass } from '../profiles/profile.types';
import type { DmaDirection, SpecDataClass } from '../spec/names';
import type { DeviceState, RunState } from './run-state';

// Bound once: under esbuild/tsx each cross-module call goes through an export getter, which costs
// measurably per operation on the hot path (the same trick as the allocator benchmark).
const attribute = attributeExposure;

/** Attributes `bytes` of confidential data that reached shared memory (docs/engine-contract.md §5) through the detectors. */
export function expose(run: RunState, device: DeviceState, index: number, bytes: number): void {
  if (!run.hostObserves) {
    // SME host (S14): decrypted memory is visible to the device and the host itself, which is the
    // trust domain — "host-side only", no confidentiality boundary is crossed.
    run.counters.hostSideSharedBytes += bytes;
    return;
  }
  const facts = run.facts;
  facts.deviceId = device.id;
  facts.deviceKind = device.resolved.kind;
  facts.trust = device.resolved.trust;
  const detector = attribute(facts);
  if (detector) run.findings.addViolation(detector, facts, device.index, index, bytes);
}

export function setFacts(
  run: RunState,
  event: ExposureFacts['event'],
  memory: ExposureFacts['memory'],
  dir: DmaDirection | null,
  data: Exclude<SpecDataClass, 'public'> | 'stale',
  rule: string,
  detail: string,
  forcedOnlyByCmdline: boolean,
): void {
  const facts = run.facts;
  facts.event = event;
  facts.memory = memory;
  facts.dir = dir;
  facts.dataClass = data;
  facts.rule = rule;
  facts.detail = detail;
  facts.forcedOnlyByCmdline = forcedOnlyByCmdline;
}

/**
 * Records a failure and logs its kernel line at call site `site` with the kernel's limiting.
 * `devPrefix`: dev_warn/dev_WARN lines carry the device name; WARN/pr_warn lines do not.
 */
export function failure(
  run: RunState,
  device: DeviceState,
  index: number,
  cls: FailureClass,
  rule: string,
  detail: string,
  site: string,
  limit: 'once' | 'ratelimited' | 'every' | 'none',
  text: (() => string) | null,
  devPrefix = true,
): void {
  if (text && limit !== 'none') run.log.log(site, limit, index, devPrefix ? () => `${device.id}: ${text()}` : text);
  run.findings.addFailure(cls, device.id, device.index, index, rule, detail, text);
}
