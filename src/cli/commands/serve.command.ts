import type { Server } from 'node:http';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { createHttpApp, listen } from '../../api/server';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { createMetricsRegistry } from '../../platform/metrics';
import { runMigrations } from '../../platform/migrate';
import { checkPostgres, checkRedis, redactUrl } from '../../platform/service-check';

const usage = `usage: dmasim serve

Starts the API process (what \`npm start\` runs): checks PostgreSQL and Redis, applies pending
migrations (unless MIGRATE_ON_START=false), then serves /healthz, /readyz and /metrics on PORT.
Stops cleanly on SIGTERM or SIGINT.`;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'start the API server (npm start)',
  usage,
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, name: 'dmasim-api' });

    await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl)]);
    if (config.migrateOnStart) {
      const ran = await runMigrations({ databaseUrl: config.databaseUrl, schema: config.databaseSchema });
      logger.info({ migrations: ran, database: redactUrl(config.databaseUrl) }, ran.length ? 'applied migrations' : 'database schema is current');
    }

    const app = createHttpApp({
      logger,
      metrics: createMetricsRegistry(),
      requestBodyLimitBytes: config.requestBodyLimitBytes,
      readiness: [
        { name: 'postgres', check: () => checkPostgres(config.databaseUrl, 1000) },
        { name: 'redis', check: () => checkRedis(config.redisUrl, 1000) },
      ],
    });
    const server = await listen(app, config.port, config.host);
    io.stdout.write(`dmasim API listening on http://${config.host}:${config.port} (health: /healthz, /readyz; metrics: /metrics)\n`);
    await waitForShutdown(server);
    logger.info('stopped');
    return ExitCode.ok;
  },
};

function waitForShutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
