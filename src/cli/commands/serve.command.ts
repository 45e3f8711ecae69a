import { type CliCommand, ExitCode, UsageError } from '../command';
import { startApi } from '../../main/api.process';
import { bootstrapDemoTeam } from '../../api/demo-team';
import { engineSpecValidator } from '../../modules/scenario/engine-spec-validator';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { runMigrations } from '../../platform/migrate';
import { checkPostgres, checkRedis, redactUrl } from '../../platform/service-check';
import { startWorkerProcess } from '../../main/worker.process';

const usage = `usage: dmasim serve

Starts the API process (what \`npm start\` runs): checks PostgreSQL and Redis, applies pending
migrations (unless MIGRATE_ON_START=false), then serves /graphql, /healthz, /readyz and /metrics
on PORT, with a run worker in the same process unless START_WORKER=false. On an empty database it
creates a "demo" team with the example scenarios and prints its admin token once. Stops cleanly on SIGTERM
or SIGINT.`;

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
      logger.info(
        { migrations: ran, database: redactUrl(config.databaseUrl) },
        ran.length ? 'applied migrations' : 'database schema is current',
      );
    }

    const api = await startApi(config, logger, { specs: engineSpecValidator });
    const demo = await bootstrapDemoTeam(api.services);
    if (demo) {
      io.stdout.write(`empty database: created team "demo" with ${demo.scenarios} example scenarios\n`);
      io.stdout.write(`demo admin token (shown once, only its hash is stored): ${demo.token}\n`);
    }
    const worker = config.startWorker ? await startWorkerProcess(config, logger) : undefined;
    io.stdout.write(
      `dmasim API listening on http://${config.host}:${config.port}/graphql (health: /healthz, /readyz; metrics: /metrics)\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await worker?.stop();
    await api.stop();
    logger.info('stopped');
    return ExitCode.ok;
  },
};
