import net from 'node:net';
import { Client } from 'pg';
import { parseRedisUrl } from './config';

/** How to start each local service on a dmasim development machine (printed when one is down). */
export const serviceStartHints = {
  postgres: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  redis:
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --maxmemory-policy noeviction',
} as const;

export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

/** Connects to PostgreSQL and runs `select 1`, failing within `timeoutMs` with one message naming the cause and its fix. */
export async function checkPostgres(databaseUrl: string, timeoutMs = 3000): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error: unknown) {
    throw new ServiceUnavailableError(explainPostgresFailure(databaseUrl, error));
  } finally {
    await client.end().catch(() => undefined); // closing a never-opened client may reject; nothing to release
  }
}

export type DatabaseEnsured = 'exists' | 'created';

/**
 * Makes sure the database named in `databaseUrl` exists: when the server answers that it does not
 * (SQLSTATE 3D000), connects to the maintenance database (`postgres`, else `template1`) with the
 * same role and runs CREATE DATABASE. Every other failure (server down, authentication, a role
 * without CREATEDB) is a ServiceUnavailableError with one message naming the cause and the command
 * that fixes it.
 */
export async function ensurePostgresDatabase(databaseUrl: string, timeoutMs = 3000): Promise<DatabaseEnsured> {
  const failure = await connectOnce(databaseUrl, timeoutMs);
  if (failure === undefined) return 'exists';
  if (postgresCode(failure) !== '3D000')
    throw new ServiceUnavailableError(explainPostgresFailure(databaseUrl, failure));
  const target = describeTarget(databaseUrl);
  let lastFailure: unknown = failure;
  for (const maintenance of ['postgres', 'template1']) {
    const url = new URL(databaseUrl);
    url.pathname = `/${maintenance}`;
    const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs });
    try {
      await client.connect();
    } catch (error: unknown) {
      lastFailure = error;
      await client.end().catch(() => undefined); // never opened: nothing to release
      if (postgresCode(error) === '3D000') continue; // no such maintenance database: try the next one
      throw new ServiceUnavailableError(explainPostgresFailure(url.toString(), error));
    }
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(target.database)}`);
      return 'created';
    } catch (error: unknown) {
      if (postgresCode(error) === '42P04') return 'exists'; // another process created it meanwhile
      if (postgresCode(error) === '42501') {
        throw new ServiceUnavailableError(
          `PostgreSQL at ${target.server} has no database "${target.database}", and role "${target.user}" ` +
            `may not create databases (no CREATEDB).\nCreate it once as a superuser: ` +
            `${createdbCommand(target, 'postgres')} -O ${shellWord(target.user)}`,
        );
      }
      throw new ServiceUnavailableError(
        `PostgreSQL at ${target.server}: creating database "${target.database}" failed (${messageOf(error) || describe(error)}).\n` +
          `Create it with: ${createdbCommand(target, target.user)}`,
      );
    } finally {
      await client.end().catch(() => undefined); // closing after a failed query may reject; nothing left to release
    }
  }
  throw new ServiceUnavailableError(explainPostgresFailure(databaseUrl, lastFailure));
}

/** Connects and disconnects; the error when that fails. */
async function connectOnce(databaseUrl: string, timeoutMs: number): Promise<unknown> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error: unknown) {
    return error ?? new Error('unknown connection failure');
  } finally {
    await client.end().catch(() => undefined); // closing a never-opened client may reject; nothing to release
  }
}

interface PostgresTarget {
  readonly server: string;
  readonly host: string;
  readonly port: string;
  readonly user: string;
  readonly database: string;
}

function describeTarget(databaseUrl: string): PostgresTarget {
  const url = new URL(databaseUrl);
  const host = url.hostname || 'localhost';
  const port = url.port || '5432';
  return {
    server: `${host}:${port}`,
    host,
    port,
    user: decodeURIComponent(url.username) || 'postgres',
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
}

function shellWord(word: string): string {
  return /^[\w.-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function createdbCommand(target: PostgresTarget, asUser: string): string {
  return `createdb -h ${shellWord(target.host)} -p ${target.port} -U ${shellWord(asUser)} ${shellWord(target.database)}`;
}

/** One message per cause: server down, no such database, authentication, role; each with its fix. */
export function explainPostgresFailure(databaseUrl: string, error: unknown): string {
  let target: PostgresTarget;
  try {
    target = describeTarget(databaseUrl);
  } catch {
    return `DATABASE_URL is not a valid URL (${redactUrl(databaseUrl)}); expected postgresql://user@host:5432/database.`;
  }
  const code = postgresCode(error);
  const detail = describe(error);
  switch (code) {
    case '3D000':
      return (
        `PostgreSQL at ${target.server} is running but has no database "${target.database}".\n` +
        `Create it with: ${createdbCommand(target, target.user)}\n(npm start and dmasim serve create it themselves when the role may.)`
      );
    case '28P01':
      return (
        `PostgreSQL at ${target.server} rejected the password of role "${target.user}".\n` +
        `Put the right password in DATABASE_URL (postgresql://${target.user}:PASSWORD@${target.server}/${target.database}).`
      );
    case '28000':
      return /role .* does not exist/.test(messageOf(error))
        ? `PostgreSQL at ${target.server} has no role "${target.user}".\nCreate it with: ` +
            `createuser -h ${shellWord(target.host)} -p ${target.port} -U postgres --createdb ${shellWord(target.user)}`
        : `PostgreSQL at ${target.server} does not let role "${target.user}" connect to "${target.database}" ` +
            `(pg_hba.conf).\nAllow it in pg_hba.conf, or use another role in DATABASE_URL.`;
    default:
      return (
        `PostgreSQL is not reachable at ${redactUrl(databaseUrl)} (${detail}).\n` +
        `Start it with: ${serviceStartHints.postgres}\nor point DATABASE_URL at a running server.`
      );
  }
}

/** The SQLSTATE of a pg error (or the first of an AggregateError's), if any. */
function postgresCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { errors, code } = error as { errors?: unknown[]; code?: unknown };
  if (Array.isArray(errors) && errors.length > 0) return postgresCode(errors[0]);
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null ? String((error as { message?: unknown }).message ?? '') : '';
}

/**
 * Sends PING to Redis over a raw socket (no ioredis retry loop, so a dead server fails fast) and
 * checks the eviction policy BullMQ requires. For a Redis Cluster (REDIS_URL with several seeds)
 * every seed node is checked.
 */
export async function checkRedis(redisUrl: string, timeoutMs = 3000): Promise<void> {
  const target = parseRedisUrl(redisUrl);
  if (typeof target === 'string') throw new ServiceUnavailableError(`REDIS_URL ${target}`);
  if (target.kind === 'single') {
    const url = new URL(target.url);
    const password = url.password ? decodeURIComponent(url.password) : null;
    const username = url.username ? decodeURIComponent(url.username) : null;
    await checkRedisNode(
      { host: url.hostname || '127.0.0.1', port: Number(url.port || 6379), username, password },
      redactUrl(redisUrl),
      timeoutMs,
    );
    return;
  }
  await Promise.all(
    target.nodes.map((node) =>
      checkRedisNode(
        { ...node, username: target.username, password: target.password },
        `${node.host}:${node.port} (cluster seed)`,
        timeoutMs,
      ),
    ),
  );
}

async function checkRedisNode(
  node: { host: string; port: number; username: string | null; password: string | null },
  label: string,
  timeoutMs: number,
): Promise<void> {
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: node.host, port: node.port });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      const auth = node.password ? `AUTH ${node.username ?? 'default'} ${node.password}\r\n` : '';
      socket.write(`${auth}PING\r\nCONFIG GET maxmemory-policy\r\n`);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (received.includes('PONG') && /maxmemory-policy\r\n\$\d+\r\n[^\r]*\r\n|-ERR|-NOPERM/.test(received)) {
        clearTimeout(timer);
        socket.end();
        resolve(received);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  }).catch((error: unknown) => {
    throw new ServiceUnavailableError(
      `Redis is not reachable at ${label} (${describe(error)}).\n` +
        `Start it with: ${serviceStartHints.redis}\nor point REDIS_URL at a running server.`,
    );
  });
  const policy = /maxmemory-policy\r\n\$\d+\r\n([^\r]*)\r\n/.exec(reply)?.[1];
  if (policy !== undefined && policy !== 'noeviction') {
    throw new ServiceUnavailableError(
      `Redis at ${label} uses maxmemory-policy ${policy}; BullMQ needs noeviction ` +
        `(redis-cli config set maxmemory-policy noeviction).`,
    );
  }
}

function describe(error: unknown): string {
  // Duck-typed rather than instanceof: errors from node's net layer may come from another realm.
  if (typeof error !== 'object' || error === null) return String(error);
  const { errors, code, message } = error as { errors?: unknown[]; code?: string; message?: string };
  if (Array.isArray(errors) && errors.length > 0) return describe(errors[0]);
  if (typeof code === 'string') return code;
  return message ?? String(error);
}

/** The URL without its password, safe to print. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable URL>'; // never echo a malformed secret-bearing string
  }
}
