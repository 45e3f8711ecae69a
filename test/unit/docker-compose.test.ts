import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { commands } from '../../src/cli/commands/index';
import { parseConfig } from '../../src/platform/config';

// Docker cannot run on the development machines, so the compose file is kept correct by reading:
// this parses it and checks the wiring a `docker compose up` depends on.
const repoRoot = path.join(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      pull_policy?: string;
      command?: string[];
      environment?: Record<string, string>;
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test: string[] };
    }
  >;
};

describe('docker-compose.yml', () => {
  it('defines postgres 15, redis 7, api and worker, each with what it needs', () => {
    const { postgres, redis, api, worker } = compose.services;

    expect(postgres?.image).toBe('postgres:15');
    expect(redis?.image).toBe('redis:7');
    expect(redis?.command).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction']));
    expect(api?.build).toBe('.');
    expect(worker?.command).toEqual(['node', 'bin/dmasim.js', 'worker']);
  });

  it('builds the application image once: the worker runs the image the api service builds, never pulled', () => {
    const { api, worker } = compose.services;

    expect(api?.image).toBe('dmasim:local');
    expect(worker?.image).toBe(api?.image);
    expect(worker?.build).toBeUndefined();
    expect(worker?.pull_policy).toBe('never');
  });

  it('gives every service a healthcheck or a healthy dependency', () => {
    for (const name of ['postgres', 'redis', 'api'])
      expect(compose.services[name]?.healthcheck?.test.length).toBeGreaterThan(0);
    expect(compose.services['api']?.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(compose.services['worker']?.depends_on?.['api']?.condition).toBe('service_healthy');
  });

  it('points api and worker at the compose services with settings config.ts accepts', () => {
    for (const name of ['api', 'worker']) {
      const environment = compose.services[name]?.environment ?? {};

      expect(environment['DATABASE_URL']).toMatch(/@postgres:5432\//);
      expect(environment['REDIS_URL']).toBe('redis://redis:6379');
      expect(() => parseConfig(environment)).not.toThrow();
    }
  });

  it('starts the api with a command the CLI actually has', () => {
    const names = new Set(commands.map((c) => c.name));

    expect(compose.services['api']?.command?.slice(0, 2)).toEqual(['node', 'bin/dmasim.js']);
    expect(names.has(compose.services['api']?.command?.[2] ?? '')).toBe(true);
  });
});
