import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { checkPostgres, checkRedis } from '../../src/platform/service-check';
import { ensureWebBuild } from '../integration/web/build-web';
import { adminDatabaseUrl, createEmptyDatabase, migrateWithCli, randomDatabaseName } from './test-database';

/**
 * Once per integration run: fail at once if PostgreSQL or Redis is down (with the command that
 * starts it), then create this run's own database, migrate it with the production migrations and
 * hand its URL to every test file through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const redisUrl = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const problems = (await Promise.allSettled([checkPostgres(adminDatabaseUrl()), checkRedis(redisUrl)])).flatMap(
    (result) => (result.status === 'rejected' ? [String((result.reason as Error).message)] : []),
  );
  if (problems.length > 0) {
    throw new Error(`integration tests need the local services:\n\n${problems.join('\n\n')}`);
  }

  // Worker threads run the built processor (dist/workers/run.processor.js), as in production.
  const repoRoot = path.join(__dirname, '..', '..');
  execFileSync(
    process.execPath,
    [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  // The browser tests (test/integration/web) drive the built dashboard the API serves.
  ensureWebBuild(repoRoot);

  const name = randomDatabaseName();
  const databaseUrl = await createEmptyDatabase(name);
  await migrateWithCli(databaseUrl);
  process.env['DMASIM_TEST_DATABASE_NAME'] = name;
  process.env['DATABASE_URL'] = databaseUrl;
  process.env['DATABASE_SCHEMA'] = 'public';
  process.env['REDIS_URL'] = redisUrl;
  process.env['NODE_ENV'] = 'test';
  process.env['LOG_LEVEL'] = process.env['LOG_LEVEL'] ?? 'silent';
}
