import { overlayVariantLabel } from '../overlays/index';
import { type NormalizedOverlay, normalizeOverlay } from './normalize';
import { overlayIds, overlayVariants } from './names';
import { parseOverlayVariant } from './overlay-hunks';
import { kernelProfileProblem } from './release';

/**
 * A kernel written as one entry, `profile[+overlay[:variant][+hunk|-hunk]...]...`: a `dmasim run
 * --matrix` column, `dmasim review --base/--patched`, and the GraphQL `reviewPatch` kernels. The
 * entry names the whole kernel (a spec's own overlays are not added).
 */
export interface KernelEntry {
  /** The entry as written, e.g. v7.2+device-cc-accepted:posted. */
  readonly label: string;
  readonly profile: string;
  readonly overlays: readonly NormalizedOverlay[];
}

/** A parsed entry, or what is wrong with it (without the caller's flag or field name). */
export type KernelEntryParse =
  { readonly ok: true; readonly kernel: KernelEntry } | { readonly ok: false; readonly problem: string };
export type OverlayParse =
  { readonly ok: true; readonly overlay: NormalizedOverlay } | { readonly ok: false; readonly problem: string };

function validOverlays(): string {
  return overlayIds
    .map((id) => (overlayVariants[id].length > 0 ? `${id}[:${overlayVariants[id].join('|')}]` : id))
    .join(', ');
}

/** Parses `name` or `name:variant(+hunk|-hunk)*` (docs/kernel-dma.md §9.2 variants). */
export function parseOverlayText(text: string): OverlayParse {
  const [name = '', variant, extra] = text.split(':');
  const id = overlayIds.find((o) => o === name);
  if (id === undefined || extra !== undefined)
    return { ok: false, problem: `unknown overlay '${text}'; valid overlays: ${validOverlays()}` };
  const variants = overlayVariants[id];
  if (variant === undefined) return { ok: true, overlay: { name: id, variant: variants[0] ?? null } };
  if (variants.length === 0) return { ok: false, problem: `overlay ${id} takes no variant (got '${variant}')` };
  // variant(+hunk|-hunk)*, e.g. posted+force-bounce-off: the same normalisation as a spec's overlay.
  const parsed = parseOverlayVariant(id, variant);
  if ('problem' in parsed) return { ok: false, problem: parsed.problem };
  return { ok: true, overlay: normalizeOverlay({ name: id, variant }) };
}

/** Parses one kernel entry; the first problem (profile, then overlays in order) when it is not one. */
export function parseKernelEntry(entry: string): KernelEntryParse {
  const [profile = '', ...tokens] = entry.split('+');
  // A token that is not an overlay name is a hunk added to the overlay before it (device-cc-accepted:posted+force-bounce-off).
  const texts = tokens.reduce<string[]>((list, token) => {
    const isOverlay = overlayIds.some((o) => token === o || token.startsWith(`${o}:`));
    if (!isOverlay && list.length > 0) list[list.length - 1] += `+${token}`;
    else list.push(token);
    return list;
  }, []);
  const profileProblem = kernelProfileProblem(profile);
  if (profileProblem !== undefined) return { ok: false, problem: profileProblem };
  const overlays: NormalizedOverlay[] = [];
  for (const text of texts) {
    const parsed = parseOverlayText(text);
    if (!parsed.ok) return parsed;
    overlays.push(parsed.overlay);
  }
  return { ok: true, kernel: { label: entry, profile, overlays } };
}

/**
 * An overlay as a spec (or a run's stored overlay list) writes it: the variant with its hunk
 * switches, `{ name: device-cc-accepted, variant: posted+force-bounce-off }`; null for an overlay without variants.
 */
export function writtenOverlay(overlay: NormalizedOverlay): { name: string; variant: string | null } {
  return { name: overlay.name, variant: overlay.variant === null ? null : overlayVariantLabel(overlay) };
}
