import path from 'node:path';

/** Where the plain-SQL migrations live (shared by `dmasim migrate`, `npm start` and the tests). */
export const migrationsDir = path.join(__dirname, '..', '..', 'prisma', 'migrations');
/** node-pg-migrate's ledger table. */
export const migrationsTable = 'pgmigrations';

export interface MigrateOptions {
  databaseUrl: string;
  schema: string;
  direction?: 'up' | 'down';
  /** Number of migrations to apply or revert; default all for up, 1 for down. */
  count?: number;
  log?: (line: string) => void;
}

/**
 * Applies (or reverts) the SQL migrations in prisma/migrations with node-pg-migrate, which keeps a
 * ledger table and takes an advisory lock, so two API instances starting at once cannot race.
 * Returns the names of the migrations that ran.
 */
export async function runMigrations(options: MigrateOptions): Promise<string[]> {
  // node-pg-migrate 9 is ESM-only; a real dynamic import keeps this file CommonJS.
  const { runner } = await import('node-pg-migrate');
  const direction = options.direction ?? 'up';
  const log = options.log ?? (() => undefined);
  const ran = await runner({
    databaseUrl: options.databaseUrl,
    dir: migrationsDir,
    migrationsTable,
    schema: options.schema,
    createSchema: true,
    direction,
    count: options.count ?? (direction === 'up' ? Infinity : 1),
    checkOrder: true,
    singleTransaction: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return ran.map((migration) => migration.name);
}
