import type { CliCommand } from '../command';
import { adviseCommand } from './advise.command';
import { explainCommand, overlaysCommand, profilesCommand, schemaCommand } from './catalogue.commands';
import { ciCommand } from './ci.command';
import { demoCommand } from './demo.command';
import { importTraceCommand } from './import-trace.command';
import { runCommand } from './run.command';
import { minimizeCommand } from './minimize.command';
import { swiotlbReplayCommand } from './swiotlb-replay.command';
import { validateCommand } from './validate.command';

/**
 * A service command whose module (Apollo, Prisma, BullMQ …) is loaded only when that command is
 * used: loading them all cost every `dmasim run` or `dmasim --version` about a second of CPU. The
 * summary is repeated here so `dmasim help` loads nothing; a test checks it matches the module's.
 */
function lazyCommand(name: string, summary: string, load: () => CliCommand): CliCommand {
  let loaded: CliCommand | undefined;
  const command = (): CliCommand => (loaded ??= load());
  return {
    name,
    summary,
    get usage() {
      return command().usage;
    },
    run: (args, io) => command().run(args, io),
  };
}

/* eslint-disable @typescript-eslint/no-require-imports -- synchronous lazy loading, see lazyCommand */
const serveCommand = lazyCommand(
  'serve',
  'start the API server (npm start)',
  () => (require('./serve.command') as { serveCommand: CliCommand }).serveCommand,
);
const workerCommand = lazyCommand(
  'worker',
  'execute queued runs (BullMQ worker with warm engine threads)',
  () => (require('./worker.command') as { workerCommand: CliCommand }).workerCommand,
);
const migrateCommand = lazyCommand(
  'migrate',
  'apply (or revert) database migrations',
  () => (require('./migrate.command') as { migrateCommand: CliCommand }).migrateCommand,
);
const teamCommand = lazyCommand(
  'team',
  'create a team and print its first admin token',
  () => (require('./team.command') as { teamCommand: CliCommand }).teamCommand,
);
/* eslint-enable @typescript-eslint/no-require-imports */

/** Every `dmasim` subcommand, in the order `dmasim help` lists them. */
export const commands: readonly CliCommand[] = [
  runCommand,
  demoCommand,
  validateCommand,
  explainCommand,
  profilesCommand,
  overlaysCommand,
  schemaCommand,
  swiotlbReplayCommand,
  importTraceCommand,
  adviseCommand,
  minimizeCommand,
  serveCommand,
  workerCommand,
  migrateCommand,
  teamCommand,
  ciCommand,
];
