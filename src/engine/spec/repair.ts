import type { z } from 'zod';

/**
 * One-pass validation support: after a schema failure, remove what the schema rejected so the
 * cross-field rules can still run on the rest, and users see every problem at once instead of
 * batch after batch. Removing a key lets its default apply; a required key that is then missing
 * removes its parent object, and an array element removed this way is remembered so the paths of
 * later findings can be mapped back to the user's indices.
 */
type Path = ReadonlyArray<PropertyKey>;

export interface Removal {
  /** Path of the array the element was removed from. */
  readonly arrayPath: Path;
  /** Index in the user's input. */
  readonly index: number;
}

export interface RepairState {
  readonly removals: Removal[];
  /** Paths (in the user's indices) whose values were removed: rule findings under them are about a stand-in. */
  readonly removedPaths: Path[];
}

function clone(value: unknown): unknown {
  return value === undefined
    ? undefined
    : (JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown);
}

function containerAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    root,
  );
}

/** Maps a path of the repaired input back to the user's input (undoing array element removals, newest first). */
export function toUserPath(path: Path, removals: readonly Removal[]): PropertyKey[] {
  const out = [...path];
  for (let r = removals.length - 1; r >= 0; r--) {
    const { arrayPath, index } = removals[r]!;
    const at = arrayPath.length;
    if (
      out.length > at &&
      arrayPath.every((key, i) => key === out[i]) &&
      typeof out[at] === 'number' &&
      (out[at] as number) >= index
    )
      out[at] = (out[at] as number) + 1;
  }
  return out;
}

/** Removes the value at `path` (an object key, or an array element recorded in `state`). */
function removeAt(root: unknown, path: Path, state: RepairState): boolean {
  if (path.length === 0) return false;
  const parent = containerAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof key === 'number' && key < parent.length) {
    parent.splice(key, 1);
    state.removals.push({
      arrayPath: path.slice(0, -1),
      index: toUserPath(path, state.removals)[path.length - 1] as number,
    });
    state.removedPaths.push(toUserPath(path, state.removals.slice(0, -1)));
    return true;
  }
  if (parent !== null && typeof parent === 'object' && !Array.isArray(parent) && key in (parent as object)) {
    state.removedPaths.push(toUserPath(path, state.removals));
    delete (parent as Record<PropertyKey, unknown>)[key];
    return true;
  }
  return false;
}

/** Applies one round of removals for the given issues; false when nothing could be removed. */
function repairOnce(root: unknown, issues: readonly z.core.$ZodIssue[], state: RepairState): boolean {
  let changed = false;
  // Deepest first, and within an array highest index first, so earlier removals do not shift later ones.
  const ordered = [...issues].sort(
    (a, b) => b.path.length - a.path.length || Number(b.path.at(-1) ?? 0) - Number(a.path.at(-1) ?? 0),
  );
  for (const issue of ordered) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) changed = removeAt(root, [...issue.path, key], state) || changed;
      continue;
    }
    const missing = containerAt(root, issue.path) === undefined;
    // A required key that is missing cannot be removed: its parent object goes instead.
    changed = removeAt(root, missing ? issue.path.slice(0, -1) : issue.path, state) || changed;
  }
  return changed;
}

/**
 * Repairs a copy of `input` until `schema` accepts it (at most `maxRounds` rounds). Returns the
 * parsed repaired value and the repair state, or null when it could not be repaired.
 */
export function repairForRules<T>(
  schema: z.ZodType<T>,
  input: unknown,
  issues: readonly z.core.$ZodIssue[],
  maxRounds = 6,
): { readonly data: T; readonly state: RepairState } | null {
  const root = clone(input);
  const state: RepairState = { removals: [], removedPaths: [] };
  let current = issues;
  for (let round = 0; round < maxRounds; round++) {
    if (!repairOnce(root, current, state)) return null;
    const parsed = schema.safeParse(root);
    if (parsed.success) return { data: parsed.data, state };
    current = parsed.error.issues;
  }
  return null;
}
