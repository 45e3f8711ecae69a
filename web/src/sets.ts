/** A copy of `set` with `item` added, or removed if it was there: the next state of a set of checkboxes. */
export function toggled<T>(set: ReadonlySet<T>, item: T): Set<T> {
  const next = new Set(set);
  if (next.has(item)) next.delete(item);
  else next.add(item);
  return next;
}
