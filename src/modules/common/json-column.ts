import type { z } from 'zod';

/**
 * A JSON column parsed at the repository boundary: a row that does not match its schema
 * (hand-edited, written by an older version) fails loudly here instead of deep in a service.
 */
export function parseJsonColumn<T>(schema: z.ZodType<T>, value: unknown, column: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `stored ${column} does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
