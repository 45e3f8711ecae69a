// `npm start` against a database that does not exist: created when the role may, otherwise one
// message per cause with the command that fixes it. Runs against the shared PostgreSQL with a
// database name (and a role) that nothing else uses, both dropped at the end.
import net from 'node:net';
import { Client } from 'pg';
import { adminDatabaseUrl, databaseUrlFor, dropDatabase, randomDatabaseName } from '../../support/test-database';
import { checkPostgres, ensurePostgresDatabase, ServiceUnavailableError } from '../../../src/platform/service-check';

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  return withAdmin(async (client) => {
    const result = await client.query('select 1 from pg_database where datname = $1', [name]);
    return result.rowCount === 1;
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ensurePostgresDatabase (npm start on a server without the database)', () => {
  const created: string[] = [];
  const roles: string[] = [];

  afterAll(async () => {
    for (const name of created) await dropDatabase(name);
    await withAdmin(async (client) => {
      for (const role of roles) await client.query(`DROP ROLE IF EXISTS "${role}"`);
    });
  });

  it('creates the missing database when the role may, then reports it as existing', async () => {
    const name = randomDatabaseName('dmasim_ensure');
    created.push(name);
    const url = databaseUrlFor(name);
    expect(await databaseExists(name)).toBe(false);
    await expect(checkPostgres(url)).rejects.toThrow(
      new RegExp(
        `has no database "${name}"\\.\\nCreate it with: createdb -h 127\\.0\\.0\\.1 -p 5432 -U postgres ${name}`,
      ),
    );

    expect(await ensurePostgresDatabase(url)).toBe('created');
    expect(await databaseExists(name)).toBe(true);
    expect(await ensurePostgresDatabase(url)).toBe('exists');
    await expect(checkPostgres(url)).resolves.toBeUndefined();
  });

  it('a role without CREATEDB gets one message with the createdb command a superuser runs', async () => {
    const role = randomDatabaseName('dmasim_nocreatedb');
    const name = randomDatabaseName('dmasim_ensure');
    roles.push(role);
    created.push(name);
    await withAdmin((client) => client.query(`CREATE ROLE "${role}" LOGIN NOCREATEDB`));
    const url = new URL(databaseUrlFor(name));
    url.username = role;

    const failure = ensurePostgresDatabase(url.toString());

    await expect(failure).rejects.toBeInstanceOf(ServiceUnavailableError);
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toBe(
      `PostgreSQL at 127.0.0.1:5432 has no database "${name}", and role "${role}" may not create databases ` +
        `(no CREATEDB).\nCreate it once as a superuser: createdb -h 127.0.0.1 -p 5432 -U postgres ${name} -O ${role}`,
    );
    expect(await databaseExists(name)).toBe(false);
  });

  it('a server that is down gets the start command, not a database or createdb message', async () => {
    const port = await closedPort();

    const message = await ensurePostgresDatabase(`postgresql://postgres@127.0.0.1:${port}/dmasim`).catch(
      (error: Error) => error.message,
    );

    expect(message).toMatch(
      /^PostgreSQL is not reachable at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/dmasim \(ECONNREFUSED\)/,
    );
    expect(message).toContain('Start it with: pg_ctlcluster');
    expect(message).not.toMatch(/createdb|does not exist|no database/);
  });

  it('an unknown role is named with the createuser command', async () => {
    const role = randomDatabaseName('dmasim_nosuchrole');

    const message = await ensurePostgresDatabase(`postgresql://${role}@127.0.0.1:5432/dmasim`).catch(
      (error: Error) => error.message,
    );

    expect(message).toBe(
      `PostgreSQL at 127.0.0.1:5432 has no role "${role}".\nCreate it with: createuser -h 127.0.0.1 -p 5432 -U postgres --createdb ${role}`,
    );
  });
});
