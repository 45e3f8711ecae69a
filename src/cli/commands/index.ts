import type { CliCommand } from '../command';
import { explainCommand, overlaysCommand, profilesCommand, schemaCommand } from './catalogue.commands';
import { ciCommand } from './ci.command';
import { demoCommand } from './demo.command';
import { runCommand } from './run.command';
import { migrateCommand } from './migrate.command';
import { serveCommand } from './serve.command';
import { swiotlbReplayCommand } from './swiotlb-replay.command';
import { teamCommand } from './team.command';
import { validateCommand } from './validate.command';
import { workerCommand } from './worker.command';

/** Every `dmasim` subcommand, in the order `dmasim help` lists them. */
export const commands: readonly CliCommand[] = [runCommand, demoCommand, validateCommand, explainCommand, profilesCommand, overlaysCommand, schemaCommand, swiotlbReplayCommand, serveCommand, workerCommand, migrateCommand, teamCommand, ciCommand];
