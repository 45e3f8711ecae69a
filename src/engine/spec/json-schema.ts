import { z } from 'zod';
import { scenarioSchema } from './scenario.schema';

/** Where the schema is published (the `$id`); editors map `*.dmasim.yaml` to it. */
export const scenarioSchemaId = 'https://dmasim.dev/schema/scenario.v1.json';

/**
 * The JSON Schema (draft 2020-12) of spec v1, generated from the zod schema (the single source of
 * truth) for what a user may write (`io: 'input'`: fields with defaults are optional). Cross-field
 * rules (device ids, id lifetimes, RAM ranges, release-dependent attributes) are not expressible
 * here; `dmasim validate` checks them. schema/scenario.v1.json is this output, kept in sync by a test.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...generated, $id: scenarioSchemaId, title: 'dmasim scenario spec v1' };
}

/** The committed file's exact text: pretty JSON with a trailing newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
