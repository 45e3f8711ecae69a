import type { KernelProfile } from '../profiles/profile.types';
import type { OverlayId } from '../spec/names';

/** An unmerged proposal applied on top of a kernel profile (docs/engine-contract.md §3.2). */
export interface Overlay {
  readonly id: OverlayId;
  readonly summary: string;
  /** Where the proposal comes from (reference section and posting). */
  readonly source: string;
  /** Statements the report should carry when the overlay is applied. */
  notes(variant: string | null): readonly string[];
  /** Returns the profile with the proposal's hooks/decisions in place. */
  apply(profile: KernelProfile, variant: string | null): KernelProfile;
}
