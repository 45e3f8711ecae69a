import { Redis } from 'ioredis';

export type { Redis };

/**
 * A Redis connection for the API's own keys (rate limits). BullMQ opens its own connections with
 * `maxRetriesPerRequest: null`; this one fails commands fast instead, so a Redis outage surfaces as
 * an error rather than a hung request. Never set an ioredis keyPrefix.
 */
export function createRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    connectTimeout: 3000,
  });
}
