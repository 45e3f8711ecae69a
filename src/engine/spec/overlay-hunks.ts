import { type DeviceCcAcceptedVariant, deviceCcAcceptedVariants, type OverlayId, overlayVariants } from './names';

/**
 * The hunks of the device_cc_accepted() proposals, one per kernel function a posting changes, and
 * which hunks each variant (posting) is made of. A spec or `--overlay` may switch single hunks on
 * or off on top of a variant (`device-cc-accepted:posted+force-bounce-off`) or list them outright,
 * so a reviewer can ask which hunk a fix needs.
 */

export const deviceCcAcceptedHunkIds = [
  'force-dma-unencrypted-off',
  'force-bounce-off',
  'bounce-unaccepted',
  'swiotlb-active-off',
  'swiotlb-for-alloc-off',
  'use-pool-off',
  'phys-to-dma-no-cbit',
] as const;
export type DeviceCcAcceptedHunkId = (typeof deviceCcAcceptedHunkIds)[number];

export interface OverlayHunk {
  readonly id: string;
  /** The kernel function the hunk changes and how, for an accepted device. */
  readonly summary: string;
}

export const deviceCcAcceptedHunks: Readonly<Record<DeviceCcAcceptedHunkId, OverlayHunk>> = {
  'force-dma-unencrypted-off': {
    id: 'force-dma-unencrypted-off',
    summary: 'force_dma_unencrypted(): false for an accepted device (private coherent memory, no decrypt)',
  },
  'force-bounce-off': {
    id: 'force-bounce-off',
    summary: 'is_swiotlb_force_bounce(): false for an accepted device (SWIOTLB_FORCE no longer bounces it)',
  },
  'bounce-unaccepted': {
    id: 'bounce-unaccepted',
    summary: 'is_swiotlb_force_bounce(): force_bounce || (bounce_unaccepted && !accepted) — swiotlb=force still wins',
  },
  'swiotlb-active-off': {
    id: 'swiotlb-active-off',
    summary: 'is_swiotlb_active(): false for an accepted device (never bounce; a non-capable map fails)',
  },
  'swiotlb-for-alloc-off': {
    id: 'swiotlb-for-alloc-off',
    summary: 'is_swiotlb_for_alloc(): false for an accepted device (no coherent memory from a restricted pool)',
  },
  'use-pool-off': {
    id: 'use-pool-off',
    summary: 'dma_direct_use_pool(): false for an accepted device (the decrypted atomic pools are skipped)',
  },
  'phys-to-dma-no-cbit': {
    id: 'phys-to-dma-no-cbit',
    summary: 'phys_to_dma(): no C-bit / shared alias in the handle of an accepted device',
  },
};

/** The hunks each posting contains. `posted` is exactly the hunks of the Feb 2026 thread, nothing else. */
export const deviceCcAcceptedVariantHunks: Readonly<
  Record<DeviceCcAcceptedVariant, readonly DeviceCcAcceptedHunkId[]>
> = {
  aneesh: [
    'force-dma-unencrypted-off',
    'force-bounce-off',
    'swiotlb-active-off',
    'swiotlb-for-alloc-off',
    'use-pool-off',
  ],
  alexey: ['force-dma-unencrypted-off', 'force-bounce-off', 'phys-to-dma-no-cbit'],
  dan: ['force-dma-unencrypted-off', 'bounce-unaccepted', 'phys-to-dma-no-cbit'],
  posted: ['swiotlb-active-off', 'swiotlb-for-alloc-off', 'use-pool-off'],
};

/** Hunk ids per overlay; an overlay without hunk switching has none. */
export const overlayHunkIds: Readonly<Record<OverlayId, readonly string[]>> = {
  'device-cc-accepted': deviceCcAcceptedHunkIds,
  'dual-swiotlb-pools': [],
  'confidential-vmbus-no-swiotlb': [],
  'storvsc-bypass': [],
};

/** The hunks a variant contains by default (empty for overlays without hunks). */
export function variantHunks(name: OverlayId, variant: string | null): readonly string[] {
  if (name !== 'device-cc-accepted') return [];
  const known = (deviceCcAcceptedVariants as readonly string[]).includes(variant ?? '');
  return known ? deviceCcAcceptedVariantHunks[variant as DeviceCcAcceptedVariant] : [];
}

export type ParsedVariant =
  { readonly variant: string | null; readonly hunks: readonly string[] | null } | { readonly problem: string };

/**
 * Parses a variant written as `base(+hunk|-hunk)*`, e.g. `posted+force-bounce-off` or
 * `aneesh-use-pool-off`. `hunks` is null when the text names a plain variant (its default hunks).
 */
export function parseOverlayVariant(name: OverlayId, text: string): ParsedVariant {
  const variants = overlayVariants[name];
  const base = variants.find((v) => text === v || text.startsWith(`${v}+`) || text.startsWith(`${v}-`));
  if (base === undefined) {
    return {
      problem:
        variants.length > 0
          ? `unknown variant '${text}' of ${name}: use one of ${variants.join(', ')}, optionally followed by +hunk or -hunk`
          : `overlay ${name} takes no variant`,
    };
  }
  if (base === text) return { variant: base, hunks: null };
  const ids = [...overlayHunkIds[name]].sort((a, b) => b.length - a.length);
  const hunks = new Set(variantHunks(name, base));
  let rest = text.slice(base.length);
  while (rest.length > 0) {
    const sign = rest[0];
    const id = ids.find(
      (h) => rest.slice(1) === h || rest.slice(1).startsWith(`${h}+`) || rest.slice(1).startsWith(`${h}-`),
    );
    if (id === undefined)
      return {
        problem: `unknown hunk in '${text}' of ${name}: after +/- give one of ${overlayHunkIds[name].join(', ')}`,
      };
    if (sign === '+') hunks.add(id);
    else hunks.delete(id);
    rest = rest.slice(1 + id.length);
  }
  return { variant: base, hunks: orderHunks(name, hunks) };
}

/** Checks an explicit hunk list; returns the problem or null. */
export function hunkListProblem(name: OverlayId, hunks: readonly string[]): string | null {
  const known = overlayHunkIds[name];
  if (known.length === 0) return `overlay ${name} has no hunks to switch`;
  const unknown = hunks.find((h) => !known.includes(h));
  return unknown === undefined ? null : `unknown hunk '${unknown}' of ${name}: use ${known.join(', ')}`;
}

/** Hunks in registry order, without duplicates (so equal sets normalise, and hash, the same). */
export function orderHunks(name: OverlayId, hunks: Iterable<string>): readonly string[] {
  const set = new Set(hunks);
  return overlayHunkIds[name].filter((h) => set.has(h));
}
