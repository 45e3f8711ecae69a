import type { KernelProfile } from '../profiles/profile.types';
import type { OverlayId } from '../spec/names';
import type { NormalizedOverlay } from '../spec/normalize';
import { confidentialVmbusNoSwiotlbOverlay } from './confidential-vmbus-no-swiotlb';
import { deviceCcAcceptedOverlay } from './device-cc-accepted';
import { dualSwiotlbPoolsOverlay } from './dual-swiotlb-pools';
import type { Overlay } from './overlay.types';
import { storvscBypassOverlay } from './storvsc-bypass';

export type { Overlay } from './overlay.types';
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
export const overlayApplicationOrder: readonly OverlayId[] = ['device-cc-accepted', 'dual-swiotlb-pools', 'confidential-vmbus-no-swiotlb', 'storvsc-bypass'];

/** Applies overlays on top of a profile: the profile's hooks and decisions, wrapped by each proposal. */
export function applyOverlays(profile: KernelProfile, requested: readonly NormalizedOverlay[]): KernelProfile {
  const ordered = overlayApplicationOrder.flatMap((id) => requested.filter((overlay) => overlay.name === id));
  const applied = ordered.reduce((current, overlay) => overlays[overlay.name].apply(current, overlay.variant), profile);
  return { ...applied, appliedOverlays: [...profile.appliedOverlays, ...ordered] };
}

/** The statements a report should carry for the applied overlays. */
export function overlayNotes(requested: readonly NormalizedOverlay[]): string[] {
  return overlayApplicationOrder.flatMap((id) => requested.filter((overlay) => overlay.name === id).flatMap((overlay) => overlays[id].notes(overlay.variant)));
}
