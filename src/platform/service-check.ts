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

/** Connects to PostgreSQL and runs `select 1`, failing within `timeoutMs` with a message naming the URL. */
export async function checkPostgres(databaseUrl: string, timeoutMs = 3000): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error: unknown) {
    throw new ServiceUnavailableError(
      `PostgreSQL is not reachable at ${redactUrl(databaseUrl)} (${describe(error)}).\n` +
        `Start it with: ${serviceStartHints.postgres}\nor point DATABASE_URL at a running server.`,
    );
  } finally {
    await client.end().catch(() => undefined); // closing a never-opened client may reject; nothing to release
  }
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

const postgresErrorMeanings: Record<string, string> = {
  '3D000': 'the database does not exist; create it with createdb',
  '28000': 'the role is not allowed to connect',
  '28P01': 'password authentication failed',
};

function describe(error: unknown): string {
  // Duck-typed rather than instanceof: errors from node's net layer may come from another realm.
  if (typeof error !== 'object' || error === null) return String(error);
  const { errors, code, message } = error as { errors?: unknown[]; code?: string; message?: string };
  if (Array.isArray(errors) && errors.length > 0) return describe(errors[0]);
  if (typeof code === 'string') return postgresErrorMeanings[code] ?? code;
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
