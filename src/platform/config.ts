import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * The only reader of the environment (lint-enforced). Every setting is parsed once, validated with
 * zod, and handed out as a frozen typed object; a bad value stops the process with a message that
 * names each offending variable.
 */

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const isUrlWithScheme = (value: string, scheme: RegExp): boolean => URL.canParse(value) && scheme.test(value);
const postgresUrl = z
  .string()
  .refine(
    (value) => isUrlWithScheme(value, /^postgres(ql)?:\/\//),
    'must be a URL such as postgresql://user@host:5432/db',
  );
const redisUrl = z.string().superRefine((value, context) => {
  const parsed = parseRedisUrl(value);
  if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: parsed });
});
const integer = (min: number, max: number, what: string) =>
  z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .min(min, `must be ${what}`)
    .max(max, `must be ${what}`);
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** One allow-list entry: a host name, an IP address or a CIDR (address/prefix length). */
function isAllowListEntry(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address.replace(/^\[(.*)\]$/, '$1'));
  if (extra !== undefined) return false;
  if (version !== 0)
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
  return (
    prefix === undefined &&
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(address)
  );
}
const allowList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  )
  .refine(
    (entries) => entries.every(isAllowListEntry),
    'must be a comma-separated list of host names, IP addresses and CIDRs (e.g. 127.0.0.1/32,hooks.internal)',
  );
/** A 256-bit key: 64 hex digits or the base64 of 32 bytes. */
const aes256Key = z
  .string()
  .transform((value) => (/^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64')))
  .refine((key) => key.length === 32, 'must be 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)');

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/dmasim'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a plain lower-case identifier')
    .default('public'),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  BULLMQ_PREFIX: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_:{}-]+$/, 'letters, digits, _ : - { } only')
    .refine(
      (value) => !/[{}]/.test(value) || /^[^{}]*\{[^{}]+\}[^{}]*$/.test(value),
      'at most one {hash tag}, not empty',
    )
    .default('dmasim'),
  DATABASE_POOL_SIZE_API: integer(1, 1000, 'an integer from 1 to 1000').default(10),
  DATABASE_POOL_SIZE_WORKER: integer(1, 1000, 'an integer from 1 to 1000').default(2),
  PORT: integer(1, 65535, 'a TCP port (1-65535)').default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  WORKER_CONCURRENCY: integer(1, 64, 'an integer from 1 to 64').default(2),
  WORKER_NICE: integer(0, 19, 'a nice value from 0 to 19').default(10),
  // auto: the CPUs this process may run on (its affinity; a container's CPU quota is not counted).
  WORKER_HOST_SEATS: z
    .preprocess(
      (value) => (value === 'auto' ? availableParallelism() : value),
      integer(0, 1024, "an integer from 0 to 1024, or auto (the host's CPUs)"),
    )
    // auto by default: more worker processes than cores on one host then stand by instead of
    // slowing every run down (docs/scaling.md, execution seats). prefault: 'auto' goes through
    // the preprocess like a given value.
    .prefault('auto'),
  WORKER_HOST_SEATS_SCOPE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -')
    .default('default'),
  START_WORKER: booleanFlag.default(true),
  MIGRATE_ON_START: booleanFlag.default(true),
  RUN_TIME_LIMIT_MS: integer(1000, 24 * 3600 * 1000, 'milliseconds from 1000 to 86400000').default(10 * 60 * 1000),
  RECONCILE_INTERVAL_MS: integer(1000, 24 * 3600 * 1000, 'milliseconds from 1000 to 86400000').default(60_000),
  RECONCILE_MAX_ATTEMPTS: integer(1, 100, 'an integer from 1 to 100').default(3),
  WORKER_SHUTDOWN_GRACE_MS: integer(0, 3600 * 1000, 'milliseconds from 0 to 3600000').default(30_000),
  WORKER_LOCK_DURATION_MS: integer(1000, 3600 * 1000, 'milliseconds from 1000 to 3600000').default(30_000),
  RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000, 'an integer from 1 to 1000000').default(600),
  REQUEST_BODY_LIMIT_BYTES: integer(1024, 1024 ** 3, 'a byte count from 1024 to 1073741824').default(1024 * 1024),
  DMASIM_TOKEN: z.string().regex(/^\S+$/, 'must be a bearer token without spaces').optional(),
  WEBHOOK_ALLOWED_HOSTS: allowList.default([]),
  WEBHOOK_SECRET_KEY: aes256Key.optional(),
  SCHEDULE_MIN_INTERVAL_SECONDS: integer(1, 7 * 24 * 3600, 'seconds from 1 to 604800').default(300),
  TEAM_MAX_QUEUED_RUNS: integer(1, 1_000_000, 'an integer from 1 to 1000000').default(2000),
  OPERATOR_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{32,256}$/, 'must be 32-256 printable ASCII characters without spaces')
    .optional(),
});

/** Where Redis is: one server, or the seed nodes of a Redis Cluster (REDIS_URL parsed by `parseRedisUrl`). */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'cluster';
      readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
      readonly username: string | null;
      readonly password: string | null;
      readonly tls: boolean;
    };

/**
 * Parses REDIS_URL: `redis://host:port` (or rediss://) is one server; a Redis Cluster is given by
 * its seed nodes, as `redis+cluster://[user:password@]host:port,host:port,...` (rediss+cluster://
 * for TLS) or as comma-separated URLs `redis://host:port,redis://host:port`. Returns the problem as
 * a string when the value is not one of these.
 */
export function parseRedisUrl(value: string): RedisTarget | string {
  const example = 'must be a URL such as redis://127.0.0.1:6379, or a cluster as redis+cluster://host:port,host:port';
  const clusterScheme = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(value);
  const seeds: string[] = [];
  let credentials: string | undefined;
  let tls = false;
  if (clusterScheme) {
    tls = clusterScheme[1] === 'rediss';
    credentials = clusterScheme[2];
    seeds.push(...clusterScheme[3]!.split(','));
  } else if (value.includes(',')) {
    for (const part of value.split(',')) {
      const url = /^(rediss?):\/\/(?:([^@/]*)@)?([^/?#,]+)\/?$/.exec(part.trim());
      if (!url) return `${example} (not a redis:// URL: ${part.trim().replace(/\/\/[^@]*@/, '//***@')})`;
      tls = tls || url[1] === 'rediss';
      credentials ??= url[2];
      seeds.push(url[3]!);
    }
  } else {
    return URL.canParse(value) && /^rediss?:\/\//.test(value) ? { kind: 'single', url: value } : example;
  }
  const nodes: Array<{ host: string; port: number }> = [];
  for (const seed of seeds) {
    const hostPort = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(seed.trim());
    const port = Number(hostPort?.[2] ?? 6379);
    if (!hostPort || port < 1 || port > 65535) return `${example} (bad cluster seed: ${seed.trim()})`;
    nodes.push({ host: hostPort[1]!.replace(/^\[|\]$/g, ''), port });
  }
  const [user, password] = credentials === undefined ? [] : credentials.split(':', 2);
  return {
    kind: 'cluster',
    nodes,
    username: user ? decodeURIComponent(user) : null,
    password: password ? decodeURIComponent(password) : null,
    tls,
  };
}

/**
 * BullMQ's key prefix with a Redis Cluster hash tag: every key of a queue then hashes to one slot
 * (BullMQ's scripts touch several keys of a queue at once). `dmasim` becomes `{dmasim}`; a prefix
 * that already has a tag is kept.
 */
export function hashTaggedPrefix(prefix: string): string {
  return /\{[^{}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

export type Config = Readonly<{
  nodeEnv: 'development' | 'test' | 'production';
  databaseUrl: string;
  databaseSchema: string;
  /** Connections the API process's PostgreSQL pool may open. */
  databasePoolSizeApi: number;
  /** Connections of a worker process's own pool (batches, reconciler, regression jobs); each engine thread has one more. */
  databasePoolSizeWorker: number;
  /** REDIS_URL as given (for messages; redact before printing). */
  redisUrl: string;
  /** REDIS_URL parsed: one server or a cluster's seed nodes. */
  redis: RedisTarget;
  /** BULLMQ_PREFIX with its Redis Cluster hash tag, e.g. {dmasim}. */
  bullmqPrefix: string;
  port: number;
  host: string;
  logLevel: (typeof logLevels)[number];
  workerConcurrency: number;
  /** The CPU priority (nice value) of engine threads, and of `dmasim worker` processes as a whole. */
  workerNice: number;
  /** Runs that may execute at once across all worker processes of the host; 0 = no host-wide limit. */
  workerHostSeats: number;
  /** Worker processes of one host with the same scope share its seats. */
  workerHostSeatsScope: string;
  startWorker: boolean;
  migrateOnStart: boolean;
  requestBodyLimitBytes: number;
  rateLimitPerMinute: number;
  runTimeLimitMs: number;
  reconcileIntervalMs: number;
  reconcileMaxAttempts: number;
  workerShutdownGraceMs: number;
  workerLockDurationMs: number;
  /** Bearer token the CLI's server commands (dmasim ci) send; null when unset. */
  cliToken: string | null;
  /** Host names, IP addresses and CIDRs webhooks may reach although they are internal. */
  webhookAllowedHosts: readonly string[];
  /** AES-256-GCM key of the stored webhook secrets; null stores new secrets unencrypted. */
  webhookSecretKey: Buffer | null;
  /** Shortest allowed time between two firings of a schedule. */
  scheduleMinIntervalMs: number;
  /** Most QUEUED runs a team may have; suite batches and schedule firings beyond it are refused or skipped. */
  teamMaxQueuedRuns: number;
  /** The operator credential for /admin/queues (separate from team tokens); null disables the queue dashboard. */
  operatorToken: string | null;
}>;

/** Raised for an invalid environment; `issues` holds one `VARIABLE: problem` line per bad key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((line) => `  ${line}`).join('\n')}`);
  }
}

/** Parses an environment (default: this process's); throws ConfigError listing every bad variable. */
export function parseConfig(environment: Readonly<Record<string, string | undefined>>): Config {
  // Empty strings count as unset, as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const env = parsed.data;
  return Object.freeze({
    nodeEnv: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
    databasePoolSizeApi: env.DATABASE_POOL_SIZE_API,
    databasePoolSizeWorker: env.DATABASE_POOL_SIZE_WORKER,
    redisUrl: env.REDIS_URL,
    redis: parseRedisUrl(env.REDIS_URL) as RedisTarget,
    bullmqPrefix: hashTaggedPrefix(env.BULLMQ_PREFIX),
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    workerConcurrency: env.WORKER_CONCURRENCY,
    workerNice: env.WORKER_NICE,
    workerHostSeats: env.WORKER_HOST_SEATS,
    workerHostSeatsScope: env.WORKER_HOST_SEATS_SCOPE,
    startWorker: env.START_WORKER,
    migrateOnStart: env.MIGRATE_ON_START,
    requestBodyLimitBytes: env.REQUEST_BODY_LIMIT_BYTES,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    runTimeLimitMs: env.RUN_TIME_LIMIT_MS,
    reconcileIntervalMs: env.RECONCILE_INTERVAL_MS,
    reconcileMaxAttempts: env.RECONCILE_MAX_ATTEMPTS,
    workerShutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
    workerLockDurationMs: env.WORKER_LOCK_DURATION_MS,
    cliToken: env.DMASIM_TOKEN ?? null,
    webhookAllowedHosts: Object.freeze([...env.WEBHOOK_ALLOWED_HOSTS]),
    webhookSecretKey: env.WEBHOOK_SECRET_KEY ?? null,
    scheduleMinIntervalMs: env.SCHEDULE_MIN_INTERVAL_SECONDS * 1000,
    teamMaxQueuedRuns: env.TEAM_MAX_QUEUED_RUNS,
    operatorToken: env.OPERATOR_TOKEN ?? null,
  });
}

let cached: Config | undefined;

/** The process configuration, parsed on first use. */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Every variable the schema accepts (a test checks each one is documented). */
export const configVariables = Object.keys(environmentSchema.shape);

/** Documented settings, rendered into the README's configuration table by a test that keeps it current. */
export const configDocs: ReadonlyArray<{ variable: keyof z.input<typeof environmentSchema>; meaning: string }> = [
  {
    variable: 'DATABASE_URL',
    meaning: 'PostgreSQL connection URL (default postgresql://postgres@127.0.0.1:5432/dmasim)',
  },
  { variable: 'DATABASE_SCHEMA', meaning: 'PostgreSQL schema holding the tables (default public)' },
  {
    variable: 'DATABASE_POOL_SIZE_API',
    meaning: 'PostgreSQL connections the API process may open (default 10); see docs/scaling.md for the budget',
  },
  {
    variable: 'DATABASE_POOL_SIZE_WORKER',
    meaning:
      'PostgreSQL connections of a worker process for batch completion, the reconciler and regression jobs; each engine thread (WORKER_CONCURRENCY) adds one (default 2)',
  },
  {
    variable: 'REDIS_URL',
    meaning:
      'Redis for BullMQ (default redis://127.0.0.1:6379), or a Redis Cluster: redis+cluster://host:port,host:port or comma-separated redis:// URLs; Redis must use maxmemory-policy noeviction',
  },
  {
    variable: 'BULLMQ_PREFIX',
    meaning:
      'key prefix for all BullMQ queues, used as a Redis Cluster hash tag: dmasim becomes {dmasim} (default dmasim)',
  },
  { variable: 'PORT', meaning: 'HTTP port of the API (default 4000)' },
  { variable: 'HOST', meaning: 'interface the API listens on (default 0.0.0.0)' },
  { variable: 'LOG_LEVEL', meaning: 'pino level: fatal, error, warn, info, debug, trace, silent (default info)' },
  { variable: 'WORKER_CONCURRENCY', meaning: 'runs one worker process executes at once, 1-64  (default 2)' },
  {
    variable: 'WORKER_NICE',
    meaning:
      'CPU priority of engine threads and of dmasim worker processes as a nice value, 0-19: on a host shared with API processes they use the CPU the API leaves, so submissions and queries do not slow down as workers are added (default 10; 0 = no lower priority)',
  },
  {
    variable: 'WORKER_HOST_SEATS',
    meaning:
      'runs that may execute at once across all worker processes on one host (one network namespace: a container has its own), coordinated over a local socket; a process takes jobs only while it holds seats, and processes beyond them stand by until a seated one stops or dies; auto = the CPUs the process may run on (its affinity; a container CPU quota is not counted) (default auto; 0 = no host-wide limit; see docs/scaling.md for when to change it)',
  },
  {
    variable: 'WORKER_HOST_SEATS_SCOPE',
    meaning: 'worker processes of one host and user with the same scope share WORKER_HOST_SEATS (default default)',
  },
  { variable: 'START_WORKER', meaning: 'npm start also starts a worker in the same process (default true)' },
  { variable: 'MIGRATE_ON_START', meaning: 'npm start applies pending migrations first (default true)' },
  { variable: 'REQUEST_BODY_LIMIT_BYTES', meaning: 'largest accepted HTTP request body (default 1048576)' },
  {
    variable: 'RATE_LIMIT_PER_MINUTE',
    meaning: 'GraphQL requests per API token per minute, counted in Redis across instances (default 600)',
  },
  {
    variable: 'RUN_TIME_LIMIT_MS',
    meaning: 'wall-clock limit of one run in a worker before it ends TIMED_OUT (default 600000)',
  },
  {
    variable: 'RECONCILE_INTERVAL_MS',
    meaning:
      'how often a worker re-enqueues QUEUED runs without a job and recovers RUNNING runs whose job is gone (default 60000)',
  },
  {
    variable: 'RECONCILE_MAX_ATTEMPTS',
    meaning:
      'attempts after which a RUNNING run whose job is gone ends FAILED with WORKER_LOST instead of being re-queued (default 3)',
  },
  {
    variable: 'WORKER_SHUTDOWN_GRACE_MS',
    meaning:
      'on SIGTERM, how long a worker lets its current runs finish before handing them back to the queue (default 30000)',
  },
  {
    variable: 'WORKER_LOCK_DURATION_MS',
    meaning:
      "BullMQ job lock; a crashed worker's run is handed to another worker about twice this long after the crash (default 30000)",
  },
  {
    variable: 'DMASIM_TOKEN',
    meaning: 'bearer token of the CLI commands that talk to a server (dmasim ci); --token overrides it',
  },
  { variable: 'NODE_ENV', meaning: 'development, test or production; production hides error details' },
  {
    variable: 'WEBHOOK_ALLOWED_HOSTS',
    meaning:
      'comma-separated host names, IP addresses and CIDRs that webhooks may reach although they are loopback, private or link-local (default none; see docs/operations.md)',
  },
  {
    variable: 'WEBHOOK_SECRET_KEY',
    meaning:
      'AES-256-GCM key (64 hex digits or base64 of 32 bytes) encrypting stored webhook signing secrets; unset stores new secrets unencrypted',
  },
  {
    variable: 'SCHEDULE_MIN_INTERVAL_SECONDS',
    meaning:
      'shortest allowed time between two firings of a schedule; more frequent cron expressions are rejected (default 300)',
  },
  {
    variable: 'TEAM_MAX_QUEUED_RUNS',
    meaning:
      'most QUEUED runs a team may have: a run, matrix or suite batch beyond it is refused (QUEUE_FULL) and a schedule firing skipped (default 2000)',
  },
  {
    variable: 'OPERATOR_TOKEN',
    meaning:
      'operator credential (32-256 printable characters) for the queue dashboard at /admin/queues, separate from team tokens; unset disables the dashboard',
  },
];
