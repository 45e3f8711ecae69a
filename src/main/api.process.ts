import type { Server } from 'node:http';
import type { Config } from '../platform/config';
import { systemClock } from '../platform/clock';
import { createDatabase, type Database } from '../platform/db';
import type { Logger } from '../platform/logger';
import { collectQueueDepth, metricsRegistry } from '../platform/metrics';
import { createRedis, type RedisClient } from '../platform/redis';
import { checkPostgres, checkRedis } from '../platform/service-check';
import { requireAdminToken } from '../api/admin-queues';
import { createExportRouter } from '../api/export.routes';
import { createApolloServer, graphqlMiddleware } from '../api/graphql';
import { createRedisRateLimiter } from '../api/rate-limit';
import { createSchema } from '../api/schema';
import { createHttpApp, listen } from '../api/server';
import type { Services } from '../api/services';
import { attachSubscriptions } from '../api/subscriptions';
import { createBullmqRunQueue, createRunEventSource } from '../modules/run/run.queue';
import { createQueueDashboard } from '../api/queue-dashboard.queue';
import { createRegressionQueues } from '../modules/regression/regression.queue';
import type { SpecValidator } from '../modules/scenario/scenario.types';
import { buildApiServices } from './composition';

export interface ApiProcess {
  readonly server: Server;
  readonly services: Services;
  readonly url: string;
  stop(): Promise<void>;
}

/** Wires config → database, Redis, services, Apollo and Express, and starts listening. */
export async function startApi(
  config: Config,
  logger: Logger,
  options: { specs: SpecValidator; port?: number },
): Promise<ApiProcess> {
  const db: Database = createDatabase({
    databaseUrl: config.databaseUrl,
    schema: config.databaseSchema,
    poolSize: config.databasePoolSizeApi,
  });
  const redis: RedisClient = createRedis(config.redis);
  const runQueue = createBullmqRunQueue({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const runEvents = createRunEventSource({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const regressionQueues = createRegressionQueues({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  const services = buildApiServices({
    db,
    clock: systemClock,
    logger,
    runQueue,
    specs: options.specs,
    runEvents,
    regressionQueues,
  });
  const schema = createSchema();
  const apollo = createApolloServer({ schema, logger, development: config.nodeEnv === 'development' });
  await apollo.start();
  const app = createHttpApp({
    logger,
    metrics: metricsRegistry(),
    adminQueues: [requireAdminToken(services), createQueueDashboard(runQueue.bullmq, '/admin/queues')],
    requestBodyLimitBytes: config.requestBodyLimitBytes,
    routes: [createExportRouter(services, logger)],
    graphql: graphqlMiddleware(
      apollo,
      services,
      createRedisRateLimiter(redis, { requestsPerMinute: config.rateLimitPerMinute, keyPrefix: config.bullmqPrefix }),
    ),
    readiness: [
      { name: 'postgres', check: () => checkPostgres(config.databaseUrl, 1000) },
      { name: 'redis', check: () => checkRedis(config.redisUrl, 1000) },
    ],
  });
  collectQueueDepth(() => runQueue.counts());
  const server = await listen(app, options.port ?? config.port, config.host);
  const subscriptions = attachSubscriptions({ server, schema, services, logger });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    server,
    services,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await subscriptions.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
      await Promise.allSettled([
        db.$disconnect(),
        redis.quit(),
        runQueue.close(),
        runEvents.close(),
        regressionQueues.close(),
      ]);
    },
  };
}
