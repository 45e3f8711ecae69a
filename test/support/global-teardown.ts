import { databasesStartingWith, dropDatabase } from './test-database';

/** Drops the run's databases (set KEEP_TEST_DATABASE=1 to keep them for inspection). */
export default async function globalTeardown(): Promise<void> {
  const name = process.env['DMASIM_TEST_DATABASE_NAME'];
  if (name === undefined || process.env['KEEP_TEST_DATABASE'] === '1') return;
  // The per-file copies (test/support/per-file-database.ts) first; a crashed file may have left one.
  for (const copy of await databasesStartingWith(`${name}_`)) await dropDatabase(copy);
  await dropDatabase(name);
}
