import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { Redis } from 'ioredis';

// Private Redis and PostgreSQL servers for fault tests: each runs on its own loopback port in its own
// temp directory, so a test can SIGKILL, stop and restart it. The shared servers are never touched.
const execFileAsync = promisify(execFile);
const postgresBin = '/usr/lib/postgresql/15/bin';

/** Why a fault test cannot run here (a missing binary), or undefined when it can. */
export function missingFaultBinaries(needs: { redis?: boolean; postgres?: boolean }): string | undefined {
  const missing: string[] = [];
  if (needs.redis && !onPath('redis-server')) missing.push('redis-server (apt-get install redis-server)');
  if (needs.postgres && !['initdb', 'pg_ctl', 'postgres'].every((bin) => existsSync(path.join(postgresBin, bin))))
    missing.push(`${postgresBin}/{initdb,pg_ctl,postgres} (apt-get install postgresql-15)`);
  return missing.length > 0 ? `fault test skipped: needs ${missing.join(' and ')}` : undefined;
}

function onPath(binary: string): boolean {
  return (process.env['PATH'] ?? '').split(path.delimiter).some((dir) => existsSync(path.join(dir, binary)));
}

/** A free loopback TCP port (bound and released; good enough for a private server started at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A private redis-server without persistence: a restart comes back empty, as after a crash. */
export interface PrivateRedis {
  readonly url: string;
  /** SIGKILL: the server vanishes with everything in memory. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty). */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmasim-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const ping = async (): Promise<boolean> => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  };
  const start = async (): Promise<void> => {
    const server = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    child = server;
    exited = new Promise((resolve) => server.once('exit', () => resolve()));
    await until(`private redis-server on ${port} answering`, ping);
  };
  await start();
  return {
    url,
    async kill() {
      child?.kill('SIGKILL');
      await exited;
    },
    start,
    async destroy() {
      child?.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A private PostgreSQL 15 cluster (trust auth, no fsync) with one database, `dmasim`. */
export interface PrivatePostgres {
  /** URL of the `dmasim` database. */
  readonly url: string;
  /** Fast shutdown: connections are cut, the server refuses new ones until start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dmasim-pg-'));
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  // initdb and postgres refuse to run as root: run them as the postgres user when we are root.
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await userIds('postgres') : undefined;
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const run = async (binary: string, args: string[]): Promise<void> => {
    const file = path.join(postgresBin, binary);
    if (owner) await execFileAsync('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir });
    else await execFileAsync(file, args, { cwd: dir });
  };
  await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off`;
  const start = async (): Promise<void> => {
    await run('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  };
  const stop = async (): Promise<void> => {
    await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();
  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE dmasim');
  await admin.end();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/dmasim`,
    stop,
    start,
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    execFileAsync('id', ['-u', name]),
    execFileAsync('id', ['-g', name]),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}
