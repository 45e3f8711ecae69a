import { PrismaPg } from '@prisma/adapter-pg';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';

/**
 * A statement of the run pipeline's hot path, sent by name: each connection parses and plans it once
 * (a named prepared statement) instead of on every call. `name` must be unique per `text`.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * Plain node-postgres queries on the Prisma client's own pool (the same connections, so the same
 * budget). For the few statements every run executes: through Prisma a query costs about 0.3 ms
 * more client CPU than here, and PostgreSQL plans an unnamed statement on every call (docs/scaling.md).
 * Only repositories use it, like the Prisma client. Values are node-postgres values: bigint columns
 * come back as strings, json/jsonb parsed, timestamptz as Date.
 */
export interface SqlClient {
  rows<Row>(statement: PreparedStatement, values: readonly unknown[]): Promise<Row[]>;
  /**
   * A statement composed with `Prisma.sql` (conditions that depend on a filter), prepared under a
   * name derived from its text: each distinct shape is planned once per connection. Only for shapes
   * from a small fixed set (filters present or not), never for text built from values.
   */
  rowsOfSql<Row>(query: { readonly text: string; readonly values: readonly unknown[] }): Promise<Row[]>;
}

export type Database = PrismaClient & { readonly sql: SqlClient };

/**
 * Creates the Prisma client over node-postgres. With adapter-pg a `?schema=` in the URL is ignored,
 * so the schema is passed as an adapter option. `poolSize` caps the connections this client opens
 * (node-postgres's default is 10); see docs/scaling.md for the budget per process. The pool is
 * shared by the Prisma client and `sql`, and ended by `$disconnect()`.
 */
export function createDatabase(options: { databaseUrl: string; schema: string; poolSize?: number }): Database {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    ...(options.poolSize ? { max: options.poolSize } : {}),
    // Plain SQL (here and in repositories' raw statements) names tables without a schema: resolve
    // them in the configured one, as Prisma's own queries do. DATABASE_SCHEMA is a plain identifier.
    options: `-c search_path=${options.schema}`,
  });
  // An idle connection that breaks (server restart) must not crash the process; the next query
  // opens a new one or reports the failure to its caller.
  pool.on('error', () => undefined);
  const adapter = new PrismaPg(pool, { schema: options.schema, disposeExternalPool: true });
  const sql: SqlClient = {
    async rows<Row>(statement: PreparedStatement, values: readonly unknown[]): Promise<Row[]> {
      const result = await pool.query({ name: statement.name, text: statement.text, values: [...values] });
      return result.rows as Row[];
    },
    rowsOfSql<Row>(query: { readonly text: string; readonly values: readonly unknown[] }): Promise<Row[]> {
      const name = `dmasim_${createHash('sha1').update(query.text).digest('hex').slice(0, 24)}`;
      return sql.rows<Row>({ name, text: query.text }, query.values);
    },
  };
  return Object.assign(new PrismaClient({ adapter }), { sql });
}
