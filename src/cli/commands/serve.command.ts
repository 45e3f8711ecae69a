import { type CliCommand, ExitCode, UsageError } from '../command';
import { startApi } from '../../main/api.process';
import { bootstrapDemoTeam } from '../../api/demo-team';
import { engineSpecValidator } from '../../modules/scenario/engine-spec-validator';
import { loadConfig } from '../../platform/config';
import { createLogger } from '../../platform/logger';
import { runMigrations } from '../../platform/migrate';
import { checkRedis, ensurePostgresDatabase, redactUrl } from '../../platform/service-check';
import { dashboardUrl, webBuildExists } from '../../api/web';
import { startWorkerProcess } from '../../main/worker.process';

const usage = `usage: dmasim serve

Starts the API process (what \`npm start\` runs): checks PostgreSQL and Redis (creating the
database of DATABASE_URL when the server runs without it and the role may), applies pending
migrations (unless MIGRATE_ON_START=false), then serves /graphql, /healthz, /readyz and /metrics
on PORT, with a run worker in the same process unless START_WORKER=false. On an empty database it
creates a "demo" team with the example scenarios and prints its admin token once. When ready it
prints the dashboard URL (GET / lists the endpoints). Stops cleanly on SIGTERM or SIGINT.`;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'start the API server (npm start)',
  usage,
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, name: 'dmasim-api' });

    const [database] = await Promise.all([ensurePostgresDatabase(config.databaseUrl), checkRedis(config.redisUrl)]);
    if (database === 'created') io.stdout.write(`created database ${redactUrl(config.databaseUrl)}\n`);
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
    const base = dashboardUrl(config.host, config.port);
    io.stdout.write(`dmasim API listening on ${base}graphql (health: /healthz, /readyz; metrics: /metrics)\n`);
    io.stdout.write(
      webBuildExists()
        ? `dashboard: ${base}\n`
        : `dashboard: not built (run npm run build:web, or npm start, which builds it); ${base} lists the endpoints\n`,
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
