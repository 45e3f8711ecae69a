import { type AllocatorRules } from '../swiotlb/rules';
import type { KernelProfileId } from './names';
import { kernelProfileIds } from './names';

export type { AllocatorRules };

/** A kernel release `vMAJOR.MINOR`. */
export interface KernelRelease {
  readonly major: number;
  readonly minor: number;
}

/**
 * What `kernel.profile` resolves to: the profile and every switch that changed between releases
 * inside it (docs/engine-contract.md §3.2, docs/kernel-dma.md §0 and §5.11).
 */
export interface ResolvedKernel {
  readonly profileId: KernelProfileId;
  /** The release modelled; a bare profile id models its newest release. */
  readonly release: KernelRelease;
  /** `v6.12` etc. */
  readonly releaseLabel: string;
  /** SWIOTLB allocator rules: v6.6 for v6.6–v6.8, v6.9 for v6.9, v6.10 from v6.10 (docs/kernel-dma.md §5.11 item 1). */
  readonly allocatorRules: AllocatorRules;
  /** v6.18: streaming entry is dma_direct_map_phys() and DMA_ATTR_MMIO exists (docs/kernel-dma.md §0, row A1/A6). */
  readonly hasMmioAttr: boolean;
  /** v7.0: MMIO under forced bounce returns DMA_MAPPING_ERROR silently (upstream 47322c469d4a); v6.18/v6.19 WARN first. */
  readonly hasMmioForceFix: boolean;
  /** v7.1: DMA_ATTR_REQUIRE_COHERENT, DMA_ATTR_CC_SHARED, the system_cc_shared heap (rows A1–A5, §14.1 item 1). */
  readonly hasCcSharedAttrs: boolean;
  /**
   * The "DMA pool exhausted" / "Failed to get suitable pool" split of upstream 56c430c7f06d; the
   * v6.12 and v6.18 releases always WARN "Failed to get suitable pool" (docs/kernel-dma.md §14.1 item 2).
   * Modelled as present from v7.0 on.
   */
  readonly hasPoolExhaustedMessage: boolean;
}

/** Newest release of each profile: what a bare profile id means. */
export const newestReleaseOf: Readonly<Record<KernelProfileId, KernelRelease>> = {
  'v6.6': { major: 6, minor: 6 },
  'la-classic': { major: 6, minor: 17 },
  'la-phys': { major: 7, minor: 2 },
  lb: { major: 7, minor: 3 },
};

/** Releases the engine models: v6.6 … v6.19, v7.0 … v7.19 (Linux went from 6.19 to 7.0). */
const releasePattern = /^v(\d{1,2})\.(\d{1,2})$/;

export function isKernelProfileId(value: string): value is KernelProfileId {
  return (kernelProfileIds as readonly string[]).includes(value);
}

const ordinalOf = (release: KernelRelease): number => release.major * 100 + release.minor;

/** The profile a release belongs to (docs/kernel-dma.md §0): v6.6–v6.8, v6.9–v6.17, v6.18–v7.2, v7.3+. */
export function profileForRelease(release: KernelRelease): KernelProfileId {
  const ordinal = ordinalOf(release);
  if (ordinal <= 608) return 'v6.6';
  if (ordinal <= 617) return 'la-classic';
  if (ordinal <= 702) return 'la-phys';
  return 'lb';
}

/** Why a profile string does not resolve, or undefined when it does. */
export function kernelProfileProblem(profile: string): string | undefined {
  if (isKernelProfileId(profile)) return undefined;
  const match = releasePattern.exec(profile);
  if (!match)
    return `unknown kernel '${profile}': use a release such as v6.12, v7.2, v7.3 or a profile id (${kernelProfileIds.join(', ')})`;
  const release = { major: Number(match[1]), minor: Number(match[2]) };
  if (ordinalOf(release) < 606) return `kernel ${profile} is older than v6.6, the oldest release the engine models`;
  if (release.major === 6 && release.minor > 19) return `there is no kernel ${profile}: v6.19 was followed by v7.0`;
  if (release.major > 7) return `kernel ${profile} is newer than the releases the engine models (up to v7.19)`;
  return undefined;
}

/**
 * Resolves a release string (`v6.12`, `v7.2`) or a profile id (`la-phys`) to the profile and the
 * release-dependent switches inside it. Undefined when kernelProfileProblem() reports a problem.
 */
export function resolveKernel(profile: string): ResolvedKernel | undefined {
  if (kernelProfileProblem(profile) !== undefined) return undefined;
  if (isKernelProfileId(profile)) return resolveRelease(profile, newestReleaseOf[profile]);
  const match = releasePattern.exec(profile);
  const release = { major: Number(match?.[1]), minor: Number(match?.[2]) };
  return resolveRelease(profileForRelease(release), release);
}

function resolveRelease(profileId: KernelProfileId, release: KernelRelease): ResolvedKernel {
  const ordinal = ordinalOf(release);
  return {
    profileId,
    release,
    releaseLabel: `v${release.major}.${release.minor}`,
    allocatorRules: ordinal <= 608 ? 'v6.6' : ordinal === 609 ? 'v6.9' : 'v6.10',
    hasMmioAttr: ordinal >= 618,
    hasMmioForceFix: ordinal >= 700,
    hasCcSharedAttrs: ordinal >= 701,
    hasPoolExhaustedMessage: ordinal >= 700,
  };
}
