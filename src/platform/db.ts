import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Database = PrismaClient;

/**
 * Creates the Prisma client over node-postgres. With adapter-pg a `?schema=` in the URL is ignored,
 * so the schema is passed as an adapter option. `poolSize` caps the connections this client opens
 * (node-postgres's default is 10); see docs/scaling.md for the budget per process.
 */
export function createDatabase(options: { databaseUrl: string; schema: string; poolSize?: number }): Database {
  const adapter = new PrismaPg(
    { connectionString: options.databaseUrl, ...(options.poolSize ? { max: options.poolSize } : {}) },
    { schema: options.schema },
  );
  return new PrismaClient({ adapter });
}
