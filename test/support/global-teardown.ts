import { dropDatabase } from './test-database';

/** Drops the run's database (set KEEP_TEST_DATABASE=1 to keep it for inspection). */
export default async function globalTeardown(): Promise<void> {
  const name = process.env['DMASIM_TEST_DATABASE_NAME'];
  if (name === undefined || process.env['KEEP_TEST_DATABASE'] === '1') return;
  await dropDatabase(name);
}
