/**
 * JSON with object keys sorted at every level and no whitespace, so equal values always give equal
 * text (spec hashes, report result hashes). bigint values are written as decimal strings.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string')
    return JSON.stringify(value);
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) {
    // A report's series and sample times are long arrays of numbers: for an array of plain JSON
    // scalars JSON.stringify writes exactly what the item-by-item join below writes, in one call
    // (a run's result hash spent most of its time here).
    if (holdsOnlyScalars(value)) return JSON.stringify(value);
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      text += (i === 0 ? '' : ',') + (item === undefined ? 'null' : canonicalJson(item));
    }
    return `${text}]`;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // The default sort orders strings by UTF-16 code units, as `<` does.
    const keys = Object.keys(record).sort();
    let text = '{';
    for (const key of keys) {
      const item = record[key];
      if (item === undefined) continue;
      text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
    }
    return `${text}}`;
  }
  return 'null';
}

/** Every index holds a number, string, boolean or null (a hole or undefined does not count). */
function holdsOnlyScalars(items: readonly unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item !== null && typeof item !== 'number' && typeof item !== 'string' && typeof item !== 'boolean')
      return false;
  }
  return true;
}
