import type { RedisClient } from '../../../src/platform/redis';
import { createRedisRateLimiter } from '../../../src/api/rate-limit';

// The limiter sends its script by SHA1; Redis answers NOSCRIPT after a restart or failover (its
// script cache is empty), and the limiter then sends the script itself, still counting the request.
describe('Redis rate limiter script', () => {
  function fakeRedis(knowsScript: boolean) {
    const calls: string[] = [];
    const redis = {
      evalsha: (sha: string, keys: number, key: string) => {
        calls.push(`evalsha ${sha.length} ${keys} ${key}`);
        return knowsScript ? Promise.resolve(0) : Promise.reject(new Error('NOSCRIPT No matching script.'));
      },
      eval: (script: string, keys: number, key: string) => {
        calls.push(`eval ${script.includes('ZREMRANGEBYSCORE')} ${keys} ${key}`);
        return Promise.resolve(1500);
      },
    } as unknown as RedisClient;
    return { redis, calls };
  }

  it('sends the SHA1 only when Redis knows the script', async () => {
    const { redis, calls } = fakeRedis(true);
    await createRedisRateLimiter(redis, { requestsPerMinute: 10, keyPrefix: 'p' }).consume('token:a');
    expect(calls).toEqual(['evalsha 40 1 p:ratelimit:token:a']);
  });

  it('sends the script after NOSCRIPT and applies its answer (here: over the limit)', async () => {
    const { redis, calls } = fakeRedis(false);
    await expect(
      createRedisRateLimiter(redis, { requestsPerMinute: 10, keyPrefix: 'p' }).consume('token:a'),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 2 } });
    expect(calls).toEqual(['evalsha 40 1 p:ratelimit:token:a', 'eval true 1 p:ratelimit:token:a']);
  });
});
