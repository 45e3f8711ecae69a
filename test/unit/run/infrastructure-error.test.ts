import { createLocalRateLimiter } from '../../../src/api/rate-limit';
import { isInfrastructureError } from '../../../src/modules/run/run.errors';

describe('isInfrastructureError', () => {
  it.each([
    ['Prisma: database not reachable', { name: 'PrismaClientKnownRequestError', code: 'P1001', message: 'x' }],
    [
      'Prisma 7 driver adapter: connection closed',
      {
        code: 'P2010',
        message: 'x',
        meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } } },
      },
    ],
    [
      'node-postgres: server shutting down (57P01)',
      { code: '57P01', message: 'terminating connection due to administrator command' },
    ],
    ['socket refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['wrapped in a cause', new Error('query failed', { cause: new Error('Connection terminated unexpectedly') })],
    ['ioredis closed connection', new Error('Connection is closed.')],
    ['node-postgres: connection failure (08006)', { code: '08006', message: 'connection failure' }],
    [
      'Prisma: a transaction expired while the database was slow or away',
      { code: 'P2028', message: 'Transaction API error: A commit cannot be executed on an expired transaction.' },
    ],
  ])('%s → infrastructure', (_what, error) => {
    expect(isInfrastructureError(error)).toBe(true);
  });

  it.each([
    ['a unique violation', { code: 'P2002', message: 'Unique constraint failed' }],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    [
      // SQLSTATE class 08 but not a connection problem: this client sent a malformed message.
      'node-postgres: protocol violation (08P01)',
      {
        code: '08P01',
        message: 'bind message supplies 31 parameters, but prepared statement "dmasim_run_result_save" requires 30',
      },
    ],
    ['a string', 'boom'],
    ['nothing', undefined],
  ])('%s → not infrastructure', (_what, error) => {
    expect(isInfrastructureError(error)).toBe(false);
  });
});

describe('the per-process rate limit (fallback while Redis is away)', () => {
  it('admits requestsPerMinute per key per sliding minute, then answers RATE_LIMITED with the wait', async () => {
    let nowMs = 1_000_000;
    const limiter = createLocalRateLimiter({ requestsPerMinute: 2, now: () => nowMs });
    await limiter.consume('a');
    nowMs += 10_000;
    await limiter.consume('a');
    await limiter.consume('b');

    await expect(limiter.consume('a')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfterSeconds: 50 },
    });
    nowMs += 50_001; // the first request left the window
    await expect(limiter.consume('a')).resolves.toBeUndefined();
  });

  it('forgets the least recently used keys beyond maxKeys', async () => {
    const nowMs = 0;
    const limiter = createLocalRateLimiter({ requestsPerMinute: 1, maxKeys: 2, now: () => nowMs });
    await limiter.consume('a');
    await limiter.consume('b');
    await limiter.consume('c'); // evicts a

    await expect(limiter.consume('a')).resolves.toBeUndefined();
    await expect(limiter.consume('c')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});
