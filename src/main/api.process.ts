import type { Server } from 'node:http';
import type { Config } from '../platform/config';
import { systemClock } from '../platform/clock';
import { createDatabase, type Database } from '../platform/db';
import type { Logger } from '../platform/logger';
import { collectQueueDepth, servedMetricsRegistry } from '../platform/metrics';
import { createRedis, type RedisClient } from '../platform/redis';
import { listenForNotifications } from '../platform/pg-notifications';
import { checkPostgres, checkRedis } from '../platform/service-check';
import { requireOperatorToken } from '../api/admin-queues';
import { createExportRouter } from '../api/export.routes';
import { createApolloServer, createQueryProtection, graphqlMiddleware } from '../api/graphql';
import { createRedisRateLimiter } from '../api/rate-limit';
import { createSchema } from '../api/schema';
import { createHttpApp, listen } from '../api/server';
import type { Services } from '../api/services';
import { attachSubscriptions } from '../api/subscriptions';
import { createBullmqRunQueue } from '../modules/run/run.queue';
import { createRunUpdatedEventSource } from '../modules/run/run.updates';
import { runUpdatedChannel } from '../modules/run/run.types';
import { createQueueDashboard } from '../api/queue-dashboard.queue';
import { createRegressionQueues } from '../modules/regression/regression.queue';
import type { SpecValidator } from '../modules/scenario/scenario.types';
import { tokenRevokedChannel } from '../modules/team/team.types';
import { buildApiServices, regressionSettingsOf } from './composition';

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
  // One notification connection per API process: run changes (subscriptions) and revoked tokens
  // (credential cache).
  const notifications = listenForNotifications({
    databaseUrl: config.databaseUrl,
    channels: [runUpdatedChannel, tokenRevokedChannel],
    logger,
  });
  const runEvents = createRunUpdatedEventSource(notifications);
  const regressionQueues = createRegressionQueues({ redisUrl: config.redisUrl, prefix: config.bullmqPrefix });
  if (!config.webhookSecretKey)
    logger.warn('WEBHOOK_SECRET_KEY is not set: new webhook signing secrets are stored unencrypted');
  const services = buildApiServices({
    db,
    clock: systemClock,
    logger,
    runQueue,
    specs: options.specs,
    runEvents,
    regressionQueues,
    regressionSettings: regressionSettingsOf(config),
  });
  notifications.on(tokenRevokedChannel, (prefix) => services.teams.forgetCredential(prefix));
  // Revocations sent while the listener was away were not heard: start again from the database.
  notifications.onListening(() => services.teams.forgetAllCredentials());
  const schema = createSchema();
  const development = config.nodeEnv === 'development';
  const apollo = createApolloServer({ schema, logger, development });
  await apollo.start();
  // One budget per token across /graphql, /export and WebSocket subscriptions.
  const rateLimiter = createRedisRateLimiter(redis, {
    requestsPerMinute: config.rateLimitPerMinute,
    keyPrefix: config.bullmqPrefix,
    logger,
  });
  const app = createHttpApp({
    logger,
    metrics: servedMetricsRegistry(),
    // bull-board spans every team: only the operator credential opens it, and without one it is not mounted.
    ...(config.operatorToken
      ? {
          adminQueues: [
            requireOperatorToken(config.operatorToken),
            createQueueDashboard(runQueue.bullmq, '/admin/queues'),
          ],
        }
      : {}),
    requestBodyLimitBytes: config.requestBodyLimitBytes,
    routes: [createExportRouter(services, logger, rateLimiter)],
    graphql: graphqlMiddleware(apollo, services, rateLimiter),
    readiness: [
      { name: 'postgres', check: () => checkPostgres(config.databaseUrl, 1000) },
      { name: 'redis', check: () => checkRedis(config.redisUrl, 1000) },
    ],
  });
  collectQueueDepth(() => runQueue.counts());
  const server = await listen(app, options.port ?? config.port, config.host);
  const subscriptions = attachSubscriptions({
    server,
    schema,
    services,
    logger,
    protection: createQueryProtection({ development }),
    rateLimiter,
    maxPayloadBytes: config.requestBodyLimitBytes,
  });
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
        notifications.close(),
        regressionQueues.close(),
      ]);
    },
  };
}
