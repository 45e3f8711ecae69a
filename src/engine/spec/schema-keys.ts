import type { z } from 'zod';

/**
 * The keys an object in the spec may have at `path`, read from the zod schema (for "did you mean"
 * suggestions). Wrappers (optional, default, pipe…) are looked through; for unions the keys of the
 * option matching the input's discriminator are used, or of every object option.
 */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let guard = 0; guard < 16; guard++) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
  return current;
}

function objectOptions(schema: z.ZodType, value: unknown): z.ZodType[] {
  const def = defOf(schema);
  if (def.type === 'object') return [schema];
  if (def.type !== 'union' || !def.options) return [];
  const all = def.options.map(unwrap).flatMap((option) => objectOptions(option, value));
  if (def.discriminator && value !== null && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[def.discriminator];
    const matching = all.filter((option) => {
      const field = defOf(option).shape?.[def.discriminator!];
      const values = field ? (defOf(unwrap(field)) as unknown as { values?: unknown[] }).values : undefined;
      return values?.includes(tag) ?? false;
    });
    if (matching.length > 0) return matching;
  }
  return all;
}

export function knownKeysAt(root: z.ZodType, path: ReadonlyArray<PropertyKey>, input: unknown): string[] {
  let schemas: z.ZodType[] = [unwrap(root)];
  let value: unknown = input;
  for (const key of path) {
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    schemas = schemas.flatMap((schema) => {
      const def = defOf(schema);
      if (def.type === 'array' && def.element && typeof key === 'number') return [unwrap(def.element)];
      return objectOptions(schema, undefined).flatMap((option) => {
        const field = defOf(option).shape?.[String(key)];
        return field ? [unwrap(field)] : [];
      });
    });
  }
  const keys = schemas
    .flatMap((schema) => objectOptions(schema, value))
    .flatMap((option) => Object.keys(defOf(option).shape ?? {}));
  return [...new Set(keys)];
}
