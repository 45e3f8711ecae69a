import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Database = PrismaClient;

/**
 * Creates the Prisma client over node-postgres. With adapter-pg a `?schema=` in the URL is ignored,
 * so the schema is passed as an adapter option.
 */
export function createDatabase(options: { databaseUrl: string; schema: string }): Database {
  const adapter = new PrismaPg({ connectionString: options.databaseUrl }, { schema: options.schema });
  return new PrismaClient({ adapter });
}
