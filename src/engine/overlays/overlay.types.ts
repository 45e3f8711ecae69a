import type { KernelProfile } from '../profiles/profile.types';
import type { OverlayId } from '../spec/names';
import type { OverlayHunk } from '../spec/overlay-hunks';

export type { OverlayHunk } from '../spec/overlay-hunks';

/** One variant (posting) of an overlay: what it is in a line and the kernel functions it changes. */
export interface OverlayVariant {
  /** The variant name, null for an overlay that has none. */
  readonly name: string | null;
  readonly description: string;
  readonly hunks: readonly OverlayHunk[];
}

/** An unmerged proposal applied on top of a kernel profile (docs/engine-contract.md §3.2). */
export interface Overlay {
  readonly id: OverlayId;
  readonly summary: string;
  /** Where the proposal comes from (reference section and posting). */
  readonly source: string;
  /** Every variant with its hunks; the first is the default. */
  readonly variants: readonly OverlayVariant[];
  /** Statements the report should carry when the overlay is applied with these hunks. */
  notes(variant: string | null, hunks: readonly string[]): readonly string[];
  /** Returns the profile with the proposal's hooks/decisions in place (`hunks`: the active hunk ids). */
  apply(profile: KernelProfile, variant: string | null, hunks: readonly string[]): KernelProfile;
}
