import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';

/** Paths the dashboard never answers, so a missing API route stays a 404 and never becomes index.html. */
const apiPrefixes = ['/graphql', '/health', '/healthz', '/readyz', '/metrics', '/admin', '/export'];
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

/**
 * Serves the built dashboard (npm run build:web → dist/web): hashed assets with a long cache
 * lifetime, and index.html for every other GET that accepts HTML (history routing), except the
 * API's own paths. When the dashboard is not built the router does nothing.
 */
export function createWebRouter(webRoot: string = defaultWebRoot()): express.Router {
  const router = express.Router();
  const indexFile = path.join(webRoot, 'index.html');
  if (!existsSync(indexFile)) return router;
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
