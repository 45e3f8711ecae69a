// Writes schema/scenario.v1.json from the zod schema (run: npx tsx scripts/export-schema.ts).
// test/engine/spec/json-schema.test.ts fails when the committed file is out of date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioJsonSchemaText } from '../src/engine/spec/json-schema';

const target = join(__dirname, '..', 'schema', 'scenario.v1.json');
mkdirSync(join(__dirname, '..', 'schema'), { recursive: true });
writeFileSync(target, scenarioJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
