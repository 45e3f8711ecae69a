import { type CliCommand, ExitCode, UsageError } from '../command';
import { loadConfig } from '../../platform/config';
import { runMigrations } from '../../platform/migrate';
import { checkPostgres, redactUrl } from '../../platform/service-check';

const usage = `usage: dmasim migrate [up | down [N]]

Applies the SQL migrations in prisma/migrations to DATABASE_URL (schema DATABASE_SCHEMA) with
node-pg-migrate. "down N" reverts the last N (default 1). Safe to run from several processes at once.`;

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply (or revert) database migrations',
  usage,
  async run(args, io) {
    const [direction = 'up', countText] = args;
    if (direction !== 'up' && direction !== 'down') throw new UsageError(`unknown direction '${direction}'`);
    const count = countText === undefined ? undefined : Number(countText);
    if (count !== undefined && (!Number.isInteger(count) || count < 1))
      throw new UsageError(`N must be a positive integer, got '${countText}'`);
    if (args.length > 2) throw new UsageError(`unexpected argument '${args[2]}'`);

    const config = loadConfig();
    await checkPostgres(config.databaseUrl);
    const ran = await runMigrations({
      databaseUrl: config.databaseUrl,
      schema: config.databaseSchema,
      direction,
      ...(count === undefined ? {} : { count }),
    });
    const target = `${redactUrl(config.databaseUrl)} (schema ${config.databaseSchema})`;
    io.stdout.write(
      ran.length === 0
        ? `migrate ${direction}: nothing to do on ${target}\n`
        : `migrate ${direction}: ${ran.length} migration(s) on ${target}\n${ran.map((name) => `  ${name}\n`).join('')}`,
    );
    return ExitCode.ok;
  },
};
