import { availableParallelism } from 'node:os';
import { ConfigError, parseConfig } from '../../../src/platform/config';

describe('parseConfig', () => {
  it('gives defaults that reach PostgreSQL and Redis on localhost when nothing is set', () => {
    const config = parseConfig({});

    expect(config.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/dmasim');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.port).toBe(4000);
    expect(config.logLevel).toBe('info');
    expect(config.workerConcurrency).toBe(2);
    expect(config.workerNice).toBe(10);
    expect(config.startWorker).toBe(true);
  });

  it('reads and converts every variable', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://u@db:5433/x',
      REDIS_URL: 'rediss://cache:6380',
      PORT: '8080',
      LOG_LEVEL: 'debug',
      WORKER_CONCURRENCY: '8',
      WORKER_NICE: '0',
      START_WORKER: 'false',
      NODE_ENV: 'production',
    });

    expect(config).toMatchObject({
      databaseUrl: 'postgres://u@db:5433/x',
      redisUrl: 'rediss://cache:6380',
      port: 8080,
      logLevel: 'debug',
      workerConcurrency: 8,
      workerNice: 0,
      startWorker: false,
      nodeEnv: 'production',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ PORT: '' }).port).toBe(4000);
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      parseConfig({
        PORT: '70000',
        DATABASE_URL: 'mysql://x',
        WORKER_CONCURRENCY: 'two',
        LOG_LEVEL: 'loud',
        WORKER_NICE: '20',
        WORKER_HOST_SEATS: '-1',
        WORKER_HOST_SEATS_SCOPE: 'a/b',
      });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    const issues = (caught as ConfigError).issues;
    expect(issues).toHaveLength(7);
    expect(issues).toEqual(
      expect.arrayContaining([
        'PORT: must be a TCP port (1-65535)',
        'DATABASE_URL: must be a URL such as postgresql://user@host:5432/db',
        'WORKER_CONCURRENCY: must be an integer from 1 to 64',
        'WORKER_NICE: must be a nice value from 0 to 19',
        "WORKER_HOST_SEATS: must be an integer from 0 to 1024, or auto (the host's CPUs)",
        'WORKER_HOST_SEATS_SCOPE: must be 1-64 letters, digits, _ . or -',
        expect.stringMatching(/^LOG_LEVEL: /),
      ]),
    );
  });

  it('sets host-wide execution seats for the CPUs this process may run on unless told', () => {
    expect(parseConfig({}).workerHostSeats).toBe(availableParallelism());
    expect(parseConfig({ WORKER_HOST_SEATS: '2' }).workerHostSeats).toBe(2);
    expect(parseConfig({ WORKER_HOST_SEATS: '0' }).workerHostSeats).toBe(0);
    expect(parseConfig({}).workerHostSeatsScope).toBe('default');
  });

  it('takes WORKER_HOST_SEATS=auto as the CPUs this process may run on', () => {
    expect(parseConfig({ WORKER_HOST_SEATS: 'auto' }).workerHostSeats).toBe(availableParallelism());
    expect(() => parseConfig({ WORKER_HOST_SEATS: 'Auto' })).toThrow(ConfigError);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(parseConfig({}))).toBe(true);
  });
});

describe('configDocs', () => {
  it('documents every variable the schema accepts, once', () => {
    const { configDocs, configVariables } = jest.requireActual<{
      configDocs: Array<{ variable: string }>;
      configVariables: string[];
    }>('../../../src/platform/config');

    expect(configDocs.map((d) => d.variable).sort()).toEqual([...configVariables].sort());
  });
});
