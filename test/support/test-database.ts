import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const execFileAsync = promisify(execFile);
const repoRoot = path.join(__dirname, '..', '..');

/** The server-level URL tests create databases on (override with TEST_DATABASE_ADMIN_URL). */
export function adminDatabaseUrl(): string {
  // test/support is outside src/, so the config-only rule does not apply; this is the one knob tests read.
  return process.env['TEST_DATABASE_ADMIN_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

export function databaseUrlFor(name: string): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export function randomDatabaseName(prefix = 'dmasim_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminDatabaseUrl(), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createEmptyDatabase(name: string): Promise<string> {
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  return databaseUrlFor(name);
}

/** Creates `name` as a copy of `template` (which nobody may be connected to) and returns its URL. */
export async function cloneDatabase(template: string, name: string): Promise<string> {
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return databaseUrlFor(name);
}

/** Names of databases starting with `prefix` (the per-file copies a crashed file left behind). */
export async function databasesStartingWith(prefix: string): Promise<string[]> {
  const { rows } = await withAdmin((client) =>
    client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]),
  );
  return rows.map((row) => row.datname);
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Runs `dmasim migrate` exactly as an operator would, against the given database (and DATABASE_SCHEMA). */
export async function migrateWithCli(
  databaseUrl: string,
  args: readonly string[] = [],
  schema = 'public',
): Promise<string> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [path.join(repoRoot, 'bin', 'dmasim.js'), 'migrate', ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema },
    },
  );
  return stdout;
}
