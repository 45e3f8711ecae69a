import { ConfigError, hashTaggedPrefix, parseConfig, parseRedisUrl } from '../../../src/platform/config';

describe('REDIS_URL: one server or a Redis Cluster', () => {
  it('keeps a redis:// or rediss:// URL as one server', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://u:p@cache:6380/2')).toEqual({ kind: 'single', url: 'rediss://u:p@cache:6380/2' });
  });

  it('reads redis+cluster:// seeds with credentials and TLS', () => {
    expect(parseRedisUrl('redis+cluster://127.0.0.1:7001,127.0.0.1:7002,[::1]:7003')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7001 },
        { host: '127.0.0.1', port: 7002 },
        { host: '::1', port: 7003 },
      ],
      username: null,
      password: null,
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://app:s%40cret@r1.example:6380,r2.example')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'r1.example', port: 6380 },
        { host: 'r2.example', port: 6379 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
  });

  it('reads comma-separated redis:// URLs as cluster seeds', () => {
    expect(parseRedisUrl('redis://10.0.0.1:7000, redis://10.0.0.2:7000')).toMatchObject({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7000 },
      ],
    });
  });

  it('names what is wrong, without echoing a password', () => {
    expect(parseRedisUrl('http://x:1')).toMatch(/^must be a URL such as redis:\/\//);
    expect(parseRedisUrl('redis+cluster://a:1,b:99999')).toMatch(/bad cluster seed: b:99999/);
    expect(parseRedisUrl('redis://a:1,http://u:secret@b:2')).toMatch(/not a redis:\/\/ URL: http:\/\/\*\*\*@b:2/);
    expect(parseRedisUrl('redis://a:1,http://u:secret@b:2')).not.toMatch(/secret/);

    let caught: unknown;
    try {
      parseConfig({ REDIS_URL: 'redis+cluster://a:1,:2' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues).toEqual([expect.stringMatching(/^REDIS_URL: .*bad cluster seed: :2/)]);
  });

  it('hands the parsed target out in the config', () => {
    expect(parseConfig({ REDIS_URL: 'redis+cluster://127.0.0.1:7001' }).redis).toMatchObject({
      kind: 'cluster',
      nodes: [{ host: '127.0.0.1', port: 7001 }],
    });
    expect(parseConfig({}).redis).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
  });
});

describe('BULLMQ_PREFIX hash tag', () => {
  it('wraps a plain prefix in a hash tag and keeps one that has a tag', () => {
    expect(hashTaggedPrefix('dmasim')).toBe('{dmasim}');
    expect(hashTaggedPrefix('{team-a}')).toBe('{team-a}');
    expect(hashTaggedPrefix('prod:{dmasim}')).toBe('prod:{dmasim}');
    expect(parseConfig({}).bullmqPrefix).toBe('{dmasim}');
    expect(parseConfig({ BULLMQ_PREFIX: 'staging' }).bullmqPrefix).toBe('{staging}');
  });

  it('rejects an empty or unbalanced tag', () => {
    expect(() => parseConfig({ BULLMQ_PREFIX: 'a{}' })).toThrow(/BULLMQ_PREFIX/);
    expect(() => parseConfig({ BULLMQ_PREFIX: '{a' })).toThrow(/BULLMQ_PREFIX/);
    expect(() => parseConfig({ BULLMQ_PREFIX: '{a}{b}' })).toThrow(/BULLMQ_PREFIX/);
  });
});

describe('PostgreSQL pool sizes', () => {
  it('defaults to 10 for the API and 2 for a worker process, and reads both', () => {
    expect(parseConfig({})).toMatchObject({ databasePoolSizeApi: 10, databasePoolSizeWorker: 2 });
    expect(parseConfig({ DATABASE_POOL_SIZE_API: '25', DATABASE_POOL_SIZE_WORKER: '3' })).toMatchObject({
      databasePoolSizeApi: 25,
      databasePoolSizeWorker: 3,
    });
    expect(() => parseConfig({ DATABASE_POOL_SIZE_API: '0' })).toThrow(/DATABASE_POOL_SIZE_API: must be an integer/);
  });
});
