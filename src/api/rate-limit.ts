import type { RedisClient } from '../platform/redis';
import { AppError } from '../platform/app-error';

export interface RateLimiter {
  /** Counts one request for `key`; throws RATE_LIMITED when the last 60 s already hold the budget. */
  consume(key: string): Promise<void>;
}

// Sliding 60-second window in one atomic script: drop entries older than the window, admit the
// request only if fewer than `limit` remain, and return the wait until the oldest one expires.
const slidingWindowScript = `
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)`;

/** Per-key limit over a sliding minute, counted in Redis so it holds across API instances. */
export function createRedisRateLimiter(
  redis: RedisClient,
  options: { requestsPerMinute: number; keyPrefix: string },
): RateLimiter {
  const windowMs = 60_000;
  let sequence = 0;
  return {
    async consume(key) {
      const now = Date.now();
      const member = `${now}-${process.pid}-${++sequence}`;
      const waitMs = Number(
        await redis.eval(
          slidingWindowScript,
          1,
          `${options.keyPrefix}:ratelimit:${key}`,
          now,
          windowMs,
          options.requestsPerMinute,
          member,
        ),
      );
      if (waitMs > 0) {
        const retryAfterSeconds = Math.ceil(waitMs / 1000);
        throw new AppError(
          'RATE_LIMITED',
          `rate limit of ${options.requestsPerMinute} requests per minute exceeded; retry in ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        );
      }
    },
  };
}
