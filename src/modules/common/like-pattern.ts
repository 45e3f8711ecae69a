/**
 * A user's text as a literal inside a LIKE/ILIKE pattern: Prisma's `contains`, `startsWith` and
 * `endsWith` become LIKE without escaping, so `%` and `_` would be wildcards and `\` an escape.
 * PostgreSQL's default LIKE escape character is the backslash.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
