import { createHash } from 'node:crypto';
import type { Logger } from '../platform/logger';
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

// Sent by its SHA1 (EVALSHA): the script text is 10 times the rest of the command, on every request.
const slidingWindowSha1 = createHash('sha1').update(slidingWindowScript).digest('hex');

const windowMs = 60_000;

/** Runs the sliding-window script by its SHA1, loading it with EVAL when Redis does not know it (NOSCRIPT: first use, restart, failover). */
async function slidingWindow(redis: RedisClient, key: string, args: ReadonlyArray<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(slidingWindowSha1, 1, key, ...args);
  } catch (error: unknown) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(slidingWindowScript, 1, key, ...args);
  }
}

function rateLimited(requestsPerMinute: number, waitMs: number): AppError {
  const retryAfterSeconds = Math.ceil(waitMs / 1000);
  return new AppError(
    'RATE_LIMITED',
    `rate limit of ${requestsPerMinute} requests per minute exceeded; retry in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}

/**
 * The same sliding minute counted in this process's memory: the fallback while Redis is
 * unreachable. Holds at most `maxKeys` keys (the least recently used are dropped first).
 */
export function createLocalRateLimiter(options: {
  requestsPerMinute: number;
  maxKeys?: number;
  now?: () => number;
}): RateLimiter {
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, number[]>();
  return {
    consume(key) {
      const nowMs = now();
      const stamps = (windows.get(key) ?? []).filter((stamp) => stamp > nowMs - windowMs);
      windows.delete(key); // re-inserted below: Map order = least recently used first
      if (stamps.length >= options.requestsPerMinute) {
        windows.set(key, stamps);
        return Promise.reject(rateLimited(options.requestsPerMinute, Math.max(1, stamps[0]! + windowMs - nowMs)));
      }
      stamps.push(nowMs);
      windows.set(key, stamps);
      if (windows.size > maxKeys) windows.delete(windows.keys().next().value!);
      return Promise.resolve();
    },
  };
}

/**
 * Per-key limit over a sliding minute, counted in Redis so it holds across API instances. While
 * Redis is unreachable the limit is counted per process instead (createLocalRateLimiter), so an
 * outage never turns requests into errors; the switch is logged once each way.
 */
export function createRedisRateLimiter(
  redis: RedisClient,
  options: { requestsPerMinute: number; keyPrefix: string; logger?: Logger },
): RateLimiter {
  let sequence = 0;
  let degraded = false;
  const local = createLocalRateLimiter({ requestsPerMinute: options.requestsPerMinute });
  return {
    async consume(key) {
      const now = Date.now();
      const member = `${now}-${process.pid}-${++sequence}`;
      let waitMs: number;
      try {
        waitMs = Number(
          await slidingWindow(redis, `${options.keyPrefix}:ratelimit:${key}`, [
            now,
            windowMs,
            options.requestsPerMinute,
            member,
          ]),
        );
      } catch (error: unknown) {
        if (!degraded) {
          degraded = true;
          options.logger?.warn(
            { err: error },
            'rate limiter: Redis unreachable; counting requests per process until it is back',
          );
        }
        return local.consume(key);
      }
      if (degraded) {
        degraded = false;
        options.logger?.info('rate limiter: Redis reachable again; counting requests in Redis');
      }
      if (waitMs > 0) throw rateLimited(options.requestsPerMinute, waitMs);
    },
  };
}
