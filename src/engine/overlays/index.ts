import type { KernelProfile } from '../profiles/profile.types';
import type { OverlayId } from '../spec/names';
import type { NormalizedOverlay } from '../spec/normalize';
import { confidentialVmbusNoSwiotlbOverlay } from './confidential-vmbus-no-swiotlb';
import { deviceCcAcceptedOverlay } from './device-cc-accepted';
import { dualSwiotlbPoolsOverlay } from './dual-swiotlb-pools';
import type { Overlay } from './overlay.types';
import { storvscBypassOverlay } from './storvsc-bypass';

export type { Overlay, OverlayHunk, OverlayVariant } from './overlay.types';
export { acceptedHooks, decideDeviceAccept, type DeviceAcceptDecision } from './device-cc-accepted';

/** Every overlay of docs/engine-contract.md §3.2; typed so that a missing one is a compile error. */
export const overlays: Readonly<Record<OverlayId, Overlay>> = {
  'device-cc-accepted': deviceCcAcceptedOverlay,
  'dual-swiotlb-pools': dualSwiotlbPoolsOverlay,
  'confidential-vmbus-no-swiotlb': confidentialVmbusNoSwiotlbOverlay,
  'storvsc-bypass': storvscBypassOverlay,
};

/**
 * The order overlays are applied in, whatever order the spec lists them: device acceptance first
 * (it decides force_dma_unencrypted), then the private pool (which looks at that), then the
 * per-device pool removal and the driver bypass. Results therefore do not depend on list order.
 */
export const overlayApplicationOrder: readonly OverlayId[] = [
  'device-cc-accepted',
  'dual-swiotlb-pools',
  'confidential-vmbus-no-swiotlb',
  'storvsc-bypass',
];

/** The hunk ids an applied overlay has active: its explicit list, else its variant's own. */
export function activeHunks(overlay: NormalizedOverlay): readonly string[] {
  if (overlay.hunks !== undefined) return overlay.hunks;
  const variants = overlays[overlay.name].variants;
  return (variants.find((v) => v.name === overlay.variant) ?? variants[0]!).hunks.map((h) => h.id);
}

/**
 * How an applied overlay reads in a one-line label: the variant, then the hunks switched on (+) or
 * off (-) relative to that variant — `device-cc-accepted (posted+force-bounce-off)`.
 */
export function overlayVariantLabel(overlay: {
  readonly name: string;
  readonly variant?: string | null;
  readonly hunks?: readonly string[];
}): string {
  const registry = (overlays as Readonly<Record<string, Overlay>>)[overlay.name];
  const own = registry?.variants.find((v) => v.name === (overlay.variant ?? null))?.hunks.map((h) => h.id) ?? [];
  const active = overlay.hunks ?? own;
  const added = active.filter((h) => !own.includes(h)).map((h) => `+${h}`);
  const removed = own.filter((h) => !active.includes(h)).map((h) => `-${h}`);
  return `${overlay.variant ?? ''}${[...added, ...removed].join('')}`;
}

/** Applies overlays on top of a profile: the profile's hooks and decisions, wrapped by each proposal. */
export function applyOverlays(profile: KernelProfile, requested: readonly NormalizedOverlay[]): KernelProfile {
  const ordered = overlayApplicationOrder.flatMap((id) => requested.filter((overlay) => overlay.name === id));
  const applied = ordered.reduce(
    (current, overlay) => overlays[overlay.name].apply(current, overlay.variant, activeHunks(overlay)),
    profile,
  );
  return { ...applied, appliedOverlays: [...profile.appliedOverlays, ...ordered] };
}

/** The statements a report should carry for the applied overlays. */
export function overlayNotes(requested: readonly NormalizedOverlay[]): string[] {
  return overlayApplicationOrder.flatMap((id) =>
    requested
      .filter((overlay) => overlay.name === id)
      .flatMap((overlay) => overlays[id].notes(overlay.variant, activeHunks(overlay))),
  );
}
