import type { KernelProfileId } from './names';
import { kernelProfileIds } from './names';

/** Allocator rule sets (reference §5.11). */
export type AllocatorRules = 'v6.6' | 'v6.9' | 'v6.10';

/** What a profile string in a spec resolves to. */
export interface ResolvedKernel {
  readonly profileId: KernelProfileId;
  /** The release modelled, e.g. { major: 7, minor: 2 }; a bare profile id models its newest release. */
  readonly release: { readonly major: number; readonly minor: number };
  readonly allocatorRules: AllocatorRules;
  /** v7.0: MMIO + forced bounce returns an error directly (upstream 47322c469d4a). */
  readonly hasMmioForceFix: boolean;
  /** v7.1: DMA_ATTR_REQUIRE_COHERENT, DMA_ATTR_CC_SHARED, system_cc_shared heap. */
  readonly hasCcSharedAttrs: boolean;
}

const newestRelease: Record<KernelProfileId, { major: number; minor: number }> = {
  'v6.6': { major: 6, minor: 6 },
  'la-classic': { major: 6, minor: 17 },
  'la-phys': { major: 7, minor: 2 },
  lb: { major: 7, minor: 3 },
};

const releasePattern = /^v(\d+)\.(\d+)$/;

/**
 * Resolves a release string (`v6.12`, `v7.2`) or a profile id (`la-phys`) to the profile and the
 * release-dependent switches inside it (reference §0, §5.11). Undefined for releases the engine
 * does not model (before v6.6) and unknown names.
 */
export function resolveKernel(profile: string): ResolvedKernel | undefined {
  if ((kernelProfileIds as readonly string[]).includes(profile)) {
    return resolveRelease(profile as KernelProfileId, newestRelease[profile as KernelProfileId]);
  }
  const match = releasePattern.exec(profile);
  if (!match) return undefined;
  const release = { major: Number(match[1]), minor: Number(match[2]) };
  const ordinal = release.major * 100 + release.minor;
  if (ordinal < 606 || release.major > 9) return undefined;
  const profileId: KernelProfileId = ordinal <= 608 ? 'v6.6' : ordinal <= 617 ? 'la-classic' : ordinal <= 702 ? 'la-phys' : 'lb';
  return resolveRelease(profileId, release);
}

function resolveRelease(profileId: KernelProfileId, release: { major: number; minor: number }): ResolvedKernel {
  const ordinal = release.major * 100 + release.minor;
  return {
    profileId,
    release,
    allocatorRules: ordinal <= 608 ? 'v6.6' : ordinal === 609 ? 'v6.9' : 'v6.10',
    hasMmioForceFix: ordinal >= 700,
    hasCcSharedAttrs: ordinal >= 701,
  };
}
