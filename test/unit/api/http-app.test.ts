import type { AddressInfo, Server } from 'node:net';
import pino from 'pino';
import { createHttpApp, listen } from '../../../src/api/server';
import { createMetricsRegistry } from '../../../src/platform/metrics';

describe('createHttpApp', () => {
  let server: Server;
  let base: string;
  let redisUp = true;

  beforeAll(async () => {
    const app = createHttpApp({
      logger: pino({ level: 'silent' }),
      metrics: createMetricsRegistry(),
      requestBodyLimitBytes: 1024,
      readiness: [
        { name: 'postgres', check: async () => undefined },
        {
          name: 'redis',
          check: async () => {
            if (!redisUp) throw new Error('down');
          },
        },
      ],
    });
    server = await listen(app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers /healthz without checking dependencies', async () => {
    redisUp = false;

    const response = await fetch(`${base}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming the dependency that is down', async () => {
    redisUp = false;

    const response = await fetch(`${base}/readyz`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', failing: ['redis'] });
  });

  it('answers /readyz with 200 when every dependency answers', async () => {
    redisUp = true;

    const response = await fetch(`${base}/readyz`);

    expect(response.status).toBe(200);
  });

  it('serves Prometheus metrics with the dmasim_ prefix', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();

    expect(text).toMatch(/^# HELP dmasim_process_cpu_user_seconds_total/m);
  });

  it('rejects a body over the limit with 413 and a code, not a 500', async () => {
    const response = await fetch(`${base}/healthz`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(4096) }),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('rejects malformed JSON with 400 and a code', async () => {
    const response = await fetch(`${base}/healthz`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });
});
