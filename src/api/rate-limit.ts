import type { Redis } from '../platform/redis';
import { AppError } from '../platform/app-error';

export interface RateLimiter {
  /** Counts one request for `key`; throws RATE_LIMITED when the window's budget is spent. */
  consume(key: string): Promise<void>;
}

/**
 * Fixed one-minute windows counted in Redis, so the limit holds across API instances:
 * INCR the window's key and give it a TTL on first use.
 */
export function createRedisRateLimiter(redis: Redis, options: { requestsPerMinute: number; keyPrefix: string }): RateLimiter {
  return {
    async consume(key) {
      const windowStart = Math.floor(Date.now() / 60_000);
      const redisKey = `${options.keyPrefix}:ratelimit:${key}:${windowStart}`;
      const [[, count]] = (await redis.multi().incr(redisKey).pexpire(redisKey, 61_000).exec()) as [[Error | null, number]];
      if (count > options.requestsPerMinute) {
        const retryAfterSeconds = 60 - Math.floor((Date.now() / 1000) % 60);
        throw new AppError('RATE_LIMITED', `rate limit of ${options.requestsPerMinute} requests per minute exceeded; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
    },
  };
}
