import { Cluster, Redis } from 'ioredis';
import { parseRedisUrl, type RedisTarget } from './config';

export type { Redis };

/** A connection for the API's own keys: one server or a cluster client (the same commands). */
export type RedisClient = Redis | Cluster;

function targetOf(redis: RedisTarget | string): RedisTarget {
  if (typeof redis !== 'string') return redis;
  const parsed = parseRedisUrl(redis);
  if (typeof parsed === 'string') throw new Error(`REDIS_URL ${parsed}`);
  return parsed;
}

function clusterClient(target: Extract<RedisTarget, { kind: 'cluster' }>, options: Record<string, unknown>): Cluster {
  return new Cluster([...target.nodes], {
    redisOptions: {
      ...options,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
    // Commands sent before the slot map is known wait for it instead of failing.
    enableOfflineQueue: true,
    slotsRefreshTimeout: 3000,
  });
}

/**
 * A Redis connection for the API's own keys (rate limits). BullMQ opens its own connections with
 * `maxRetriesPerRequest: null`; this one fails commands fast instead, so a Redis outage surfaces as
 * an error rather than a hung request. Never set an ioredis keyPrefix.
 */
export function createRedis(redis: RedisTarget | string): RedisClient {
  const target = targetOf(redis);
  const options = { maxRetriesPerRequest: 1, connectTimeout: 3000 };
  if (target.kind === 'cluster') return clusterClient(target, options);
  return new Redis(target.url, { ...options, enableOfflineQueue: false, lazyConnect: false });
}

/** What a BullMQ Queue, Worker or QueueEvents is given as `connection`, and how to release it after closing them. */
export interface BullmqConnection {
  /** Connection options (one server: BullMQ opens and closes its own clients) or a cluster client. */
  readonly connection: { url: string; maxRetriesPerRequest: null } | Cluster;
  /** Closes what BullMQ does not close itself (a cluster client it was handed); call after closing the BullMQ object. */
  release(): Promise<void>;
}

/**
 * A connection for one BullMQ object. For a cluster, BullMQ needs a cluster client (it cannot
 * build one from options) and, since it did not create it, does not close it: `release` does.
 * The queue prefix must carry a hash tag (Config.bullmqPrefix does) so a queue's keys share a slot.
 */
export function bullmqConnection(redis: RedisTarget | string): BullmqConnection {
  const target = targetOf(redis);
  if (target.kind === 'single')
    return { connection: { url: target.url, maxRetriesPerRequest: null }, release: () => Promise.resolve() };
  const client = clusterClient(target, { maxRetriesPerRequest: null });
  return {
    connection: client,
    async release() {
      if (client.status === 'end') return;
      await client.quit().catch(() => client.disconnect());
    },
  };
}
