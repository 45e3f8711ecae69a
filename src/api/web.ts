import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';

/** Paths the dashboard never answers, so a missing API route stays a 404 and never becomes index.html. */
const apiPrefixes = ['/graphql', '/health', '/healthz', '/readyz', '/metrics', '/admin', '/export', '/schema'];
/** Report exports under /runs/:id/; /runs/:id itself is the dashboard's run page. */
const exportPattern = /^\/runs\/[^/]+\/[^/]+\.[a-z]+$/;

function isApiPath(requestPath: string): boolean {
  return (
    exportPattern.test(requestPath) ||
    apiPrefixes.some((prefix) => requestPath === prefix || requestPath.startsWith(`${prefix}/`))
  );
}

/** dist/web of this checkout or image: found from this file whether it runs from src/ (tsx) or dist/src/. */
export function defaultWebRoot(): string {
  let directory = __dirname;
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(directory, 'package.json'))) return path.join(directory, 'dist', 'web');
    directory = path.dirname(directory);
  }
  return path.join(process.cwd(), 'dist', 'web');
}

/** The scenario spec's JSON Schema: schema/ in a checkout, dist/schema in an image (copied by npm run build). */
function schemaFile(webRoot: string): string | undefined {
  const packageRoot = path.dirname(path.dirname(webRoot));
  return [
    path.join(packageRoot, 'schema', 'scenario.v1.json'),
    path.join(packageRoot, 'dist', 'schema', 'scenario.v1.json'),
  ].find((candidate) => existsSync(candidate));
}

/** Whether the dashboard has been built (index.html in the web root). */
export function webBuildExists(webRoot: string = defaultWebRoot()): boolean {
  return existsSync(path.join(webRoot, 'index.html'));
}

/** The URL a person on this machine opens for a server listening on host:port (0.0.0.0 and :: → localhost). */
export function dashboardUrl(host: string, port: number): string {
  const shown = ['0.0.0.0', '::', '', '127.0.0.1', '::1'].includes(host) ? 'localhost' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}

const endpointLines = [
  'POST /graphql         GraphQL API (Authorization: Bearer <token>); subscriptions over graphql-ws on the same path',
  'GET  /healthz         liveness',
  'GET  /readyz          PostgreSQL and Redis reachable (503 otherwise)',
  'GET  /metrics         Prometheus metrics',
  'GET  /admin/queues    BullMQ dashboard (admin tokens)',
  'GET  /schema/scenario.v1.json   JSON Schema of scenario specs',
  'GET  /export/...      CI exports (JUnit, SARIF, series CSV, Markdown); see README "Regression runs"',
];

function rootText(dashboardBuilt: boolean): string {
  return [
    'dmasim API',
    '',
    dashboardBuilt
      ? 'Dashboard: open this URL in a browser and sign in with an API token.'
      : 'Dashboard: not built in this checkout. Build it with `npm run build:web` (npm start does), then reload.',
    '',
    'Endpoints:',
    ...endpointLines.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Serves the built dashboard (npm run build:web → dist/web): hashed assets with a long cache
 * lifetime, and index.html for every other GET that accepts HTML (history routing), except the
 * API's own paths. GET / answers with the endpoint list for API clients, and with a page saying
 * how to build the dashboard when it is not built (every other path is then left to the 404).
 */
export function createWebRouter(webRoot: string = defaultWebRoot()): express.Router {
  const router = express.Router();
  const indexFile = path.join(webRoot, 'index.html');
  const built = existsSync(indexFile);
  // The JSON Schema of scenario specs, for editors' `$schema` lines and the dashboard's spec editor.
  router.get('/schema/scenario.v1.json', (_request, response, next) => {
    const file = schemaFile(webRoot);
    if (!file) {
      next();
      return;
    }
    response.setHeader('cache-control', 'no-cache');
    response.type('application/schema+json').sendFile(file);
  });
  // GET / always answers: API clients (curl sends Accept: */*) get the endpoint list as text;
  // browsers get the dashboard, or, when it is not built, a page saying how to build it.
  router.get('/', (request, response, next) => {
    if (built && request.accepts(['json', 'html']) === 'html') {
      next();
      return;
    }
    response.setHeader('cache-control', 'no-cache');
    if (request.accepts(['text', 'html']) === 'html') {
      response
        .type('html')
        .send(`<!doctype html><meta charset="utf-8"><title>dmasim</title><pre>${escapeHtml(rootText(built))}</pre>`);
      return;
    }
    response.type('text/plain').send(rootText(built));
  });
  if (!built) return router;
  router.use(
    '/assets',
    express.static(path.join(webRoot, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );
  router.use(
    express.static(webRoot, {
      index: false,
      setHeaders: (response) => response.setHeader('cache-control', 'no-cache'),
    }),
  );
  router.get(/.*/, (request, response, next) => {
    // Only navigations (browsers send Accept: text/html first) get the app; API clients sending */* get the 404.
    if (isApiPath(request.path) || request.accepts(['json', 'html']) !== 'html') {
      next();
      return;
    }
    response.setHeader('cache-control', 'no-cache');
    response.sendFile(indexFile);
  });
  return router;
}
