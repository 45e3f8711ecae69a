import { type CliCommand, ExitCode, UsageError } from '../command';
import { systemClock } from '../../platform/clock';
import { AppError } from '../../platform/app-error';
import { loadConfig } from '../../platform/config';
import { createDatabase } from '../../platform/db';
import { checkPostgres } from '../../platform/service-check';
import { TeamRepository } from '../../modules/team/team.repository';
import { TeamService } from '../../modules/team/team.service';

const usage = `usage: dmasim team create <name>

Creates a team in DATABASE_URL and prints its first admin token (shown once; only a salted hash
is stored). Use it as "Authorization: Bearer <token>" against /graphql.`;

export const teamCommand: CliCommand = {
  name: 'team',
  summary: 'create a team and print its first admin token',
  usage,
  async run(args, io) {
    const [action, name, ...rest] = args;
    if (action !== 'create')
      throw new UsageError(action === undefined ? 'missing action' : `unknown action '${action}'`);
    if (name === undefined) throw new UsageError('missing team name');
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);

    const config = loadConfig();
    await checkPostgres(config.databaseUrl);
    const db = createDatabase({ databaseUrl: config.databaseUrl, schema: config.databaseSchema });
    try {
      const { team, bearer } = await new TeamService(new TeamRepository(db), systemClock).createTeam(name);
      io.stdout.write(`created team ${team.name} (${team.id})\nadmin token (shown once): ${bearer}\n`);
      return ExitCode.ok;
    } catch (error: unknown) {
      if (error instanceof AppError && (error.code === 'CONFLICT' || error.code === 'BAD_USER_INPUT')) {
        io.stderr.write(`dmasim team create: ${error.message}\n`);
        return ExitCode.badInput;
      }
      throw error;
    } finally {
      await db.$disconnect();
    }
  },
};
