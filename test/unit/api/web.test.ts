import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../../src/api/server';
import { dashboardUrl } from '../../../src/api/web';

// The API serves the built dashboard: assets, and index.html for the app's own routes (history
// routing), without shadowing /graphql, the health routes, /metrics or report exports.
function builtDashboard(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'dmasim-web-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>dmasim dashboard</title>');
  writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  return root;
}

describe('dashboard routes', () => {
  let baseUrl: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const app = createHttpApp({
      logger: pino({ level: 'silent' }),
      metrics: new Registry(),
      readiness: [],
      requestBodyLimitBytes: 1024,
      graphql: (_request, response) => void response.json({ data: { ok: true } }),
      webRoot: builtDashboard(),
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(() => close());

  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  it.each(['/', '/runs/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', '/compare?a=1&b=2', '/scenarios'])(
    'serves index.html for the app route %s',
    async (route) => {
      const response = await fetch(`${baseUrl}${route}`, { headers: html });

      expect(response.status).toBe(200);
      expect(await response.text()).toContain('dmasim dashboard');
      expect(response.headers.get('cache-control')).toBe('no-cache');
    },
  );

  it('serves hashed assets with a long cache lifetime', async () => {
    const response = await fetch(`${baseUrl}/assets/index-abc.js`);

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  it('leaves /graphql, /metrics and /healthz to the API', async () => {
    const graphql = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { ...html, 'content-type': 'application/json' },
      body: '{}',
    });
    const metrics = await fetch(`${baseUrl}/metrics`, { headers: html });
    const health = await fetch(`${baseUrl}/healthz`, { headers: html });

    expect(await graphql.json()).toEqual({ data: { ok: true } });
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(health.status).toBe(200);
  });

  it('does not answer API paths or non-browser requests with the app', async () => {
    const admin = await fetch(`${baseUrl}/admin/queues`, { headers: html });
    const exportPath = await fetch(`${baseUrl}/runs/1b9d6bcd/report.json`, { headers: html });
    const apiClient = await fetch(`${baseUrl}/no-such-route`, { headers: { accept: '*/*' } });

    expect([admin.status, exportPath.status, apiClient.status]).toEqual([404, 404, 404]);
  });
});

describe('GET / always answers something useful', () => {
  async function serve(webRoot: string): Promise<{ baseUrl: string; close: () => Promise<void> }> {
    const app = createHttpApp({
      logger: pino({ level: 'silent' }),
      metrics: new Registry(),
      readiness: [],
      requestBodyLimitBytes: 1024,
      webRoot,
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it('without a web build: curl gets the endpoint list and the build command, a browser a page saying the same', async () => {
    // A web root inside a checkout-shaped directory whose schema/ holds the repository's schema.
    const checkout = mkdtempSync(path.join(tmpdir(), 'dmasim-noweb-'));
    mkdirSync(path.join(checkout, 'schema'));
    writeFileSync(
      path.join(checkout, 'schema', 'scenario.v1.json'),
      readFileSync(path.join(__dirname, '..', '..', '..', 'schema', 'scenario.v1.json')),
    );
    const { baseUrl, close } = await serve(path.join(checkout, 'dist', 'web'));
    try {
      const curl = await fetch(`${baseUrl}/`, { headers: { accept: '*/*' } });
      const browser = await fetch(`${baseUrl}/`, { headers: { accept: 'text/html,*/*;q=0.8' } });
      const otherRoute = await fetch(`${baseUrl}/runs/x`, { headers: { accept: 'text/html' } });

      expect(curl.status).toBe(200);
      expect(curl.headers.get('content-type')).toContain('text/plain');
      const text = await curl.text();
      expect(text).toContain('npm run build:web');
      expect(text).toContain('POST /graphql');
      expect(text).not.toContain('Cannot GET');
      expect(browser.status).toBe(200);
      expect(browser.headers.get('content-type')).toContain('text/html');
      expect(await browser.text()).toContain('npm run build:web');
      expect(otherRoute.status).toBe(404);
      // the spec's JSON Schema is served from the checkout's schema/ for editors and the spec editor
      const schema = await fetch(`${baseUrl}/schema/scenario.v1.json`);
      expect(schema.status).toBe(200);
      expect(((await schema.json()) as { $schema?: string }).$schema).toMatch(/json-schema/);
    } finally {
      await close();
    }
  });

  it('with a web build: curl gets the endpoint list, a browser the app', async () => {
    const { baseUrl, close } = await serve(builtDashboard());
    try {
      const curl = await fetch(`${baseUrl}/`, { headers: { accept: '*/*' } });
      const browser = await fetch(`${baseUrl}/`, { headers: { accept: 'text/html,*/*;q=0.8' } });

      const text = await curl.text();
      expect(text).toContain('POST /graphql');
      expect(text).toContain('open this URL in a browser');
      expect(text).not.toContain('npm run build:web');
      expect(await browser.text()).toContain('dmasim dashboard');
    } finally {
      await close();
    }
  });

  it('dashboardUrl shows localhost for wildcard and loopback hosts', () => {
    expect(dashboardUrl('0.0.0.0', 4000)).toBe('http://localhost:4000/');
    expect(dashboardUrl('::', 4100)).toBe('http://localhost:4100/');
    expect(dashboardUrl('api.internal', 80)).toBe('http://api.internal:80/');
  });
});
