/** Leaf paths whose values differ between two JSON values, as `path: old → new`. */
export function diffSpecs(before: unknown, after: unknown, path = ''): string[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffSpecs(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, index) => diffSpecs(item, after[index], `${path}[${index}]`));
  }
  const a = JSON.stringify(before);
  const b = JSON.stringify(after);
  return a === b ? [] : [`${path || '(root)'}: ${shorten(a)} → ${shorten(b)}`];
}

/** One line for the version list: the first few changes and how many more. */
export function summarizeDiff(before: unknown, after: unknown, maxShown = 4): string {
  const changes = diffSpecs(before, after);
  if (changes.length === 0) return 'no changes';
  const shown = changes.slice(0, maxShown).join('; ');
  return changes.length > maxShown ? `${shown}; +${changes.length - maxShown} more` : shown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shorten(text: string | undefined): string {
  if (text === undefined) return '(absent)';
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
