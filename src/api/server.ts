import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';
import { createHealthRouter, type ReadinessCheck } from './health';
import { createWebRouter } from './web';
import type { Logger } from '../platform/logger';

export interface HttpServerOptions {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly readiness: readonly ReadinessCheck[];
  readonly requestBodyLimitBytes: number;
  /** The GraphQL handler, mounted at /graphql when given. */
  readonly graphql?: express.RequestHandler;
  /** bull-board behind its admin guard, mounted at /admin/queues when given. */
  readonly adminQueues?: readonly express.RequestHandler[];
  /** More routes with their own auth (e.g. the regression exports under /export). */
  readonly routes?: readonly express.RequestHandler[];
  /** Where the built dashboard lives (default dist/web); it is served when index.html exists there. */
  readonly webRoot?: string;
}

/**
 * The API process's HTTP app: health, readiness and Prometheus metrics. The GraphQL endpoint and
 * the dashboard mount on this app as they land.
 */
export function createHttpApp(options: HttpServerOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: options.requestBodyLimitBytes }));
  app.use(createHealthRouter(options.readiness));
  if (options.graphql) app.use('/graphql', options.graphql);
  if (options.adminQueues) app.use('/admin/queues', ...options.adminQueues);
  for (const route of options.routes ?? []) app.use(route);
  app.get('/metrics', async (_request, response) => {
    response.type(options.metrics.contentType).send(await options.metrics.metrics());
  });
  // Last, so it never shadows /graphql, the health routes, /metrics or /admin.
  app.use(createWebRouter(options.webRoot));
  // Body-parser errors (too large, malformed JSON) are client errors with a code, never a 500.
  app.use(
    (
      error: { status?: number; type?: string; message?: string },
      _request: express.Request,
      response: express.Response,
      next: express.NextFunction,
    ) => {
      if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
        response.status(error.status).json({
          errors: [
            {
              message: error.message ?? 'bad request',
              extensions: { code: error.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST' },
            },
          ],
        });
        return;
      }
      options.logger.error({ err: error }, 'unhandled HTTP error');
      next(error);
    },
  );
  return app;
}

/** Listens and resolves once the port is bound. */
export function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}
