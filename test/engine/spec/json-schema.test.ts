import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../../src/engine/spec/json-schema';

describe('scenarioJsonSchema (docs/engine-contract.md §2: z.toJSONSchema export shipped for editors)', () => {
  it('matches the committed schema/scenario.v1.json (run npx tsx scripts/export-schema.ts after changing the schema)', () => {
    const committed = readFileSync(join(__dirname, '../../../schema/scenario.v1.json'), 'utf8');
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('is strict (additionalProperties false) and documents the top-level fields', () => {
    const schema = scenarioJsonSchema() as {
      additionalProperties?: boolean;
      required?: string[];
      properties: Record<string, { description?: string }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(
      expect.arrayContaining(['apiVersion', 'name', 'vm', 'kernel', 'devices', 'workload']),
    );
    for (const [key, value] of Object.entries(schema.properties))
      expect([key, typeof value.description]).toEqual([key, 'string']);
  });
});
