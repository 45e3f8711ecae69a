import { type CliCommand, type CliIo, ExitCode, FlagError, UsageError } from './command';
import { commands } from './commands/index';
import { ConfigError } from '../platform/config';
import { ServiceUnavailableError } from '../platform/service-check';
import { ENGINE_VERSION } from '../engine/index';
import { packageVersion } from './package-version';

/** Errors whose message is the whole story for the user: printed without a stack trace. */
function isOperatorError(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof ServiceUnavailableError;
}

function helpText(all: readonly CliCommand[]): string {
  const width = Math.max(...all.map((c) => c.name.length), 4);
  const lines = all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: dmasim <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    "dmasim <command> --help (or dmasim help <command>) shows a command's options; dmasim --version its version.",
    'Docs: README.md and docs/ (kernel-dma.md: the kernel behaviour modelled; rules-and-classes.md: what A4, V1, F1 … mean).',
    '',
  ].join('\n');
}

const helpFlags = new Set(['--help', '-h']);

function versionText(): string {
  return `dmasim ${packageVersion()} (engine ${ENGINE_VERSION})\n`;
}

/** Runs `dmasim <args>` against the given streams and resolves to the exit code. */
export async function runCli(
  args: readonly string[],
  io: CliIo,
  all: readonly CliCommand[] = commands,
): Promise<number> {
  const [name, ...rest] = args;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(versionText());
    return ExitCode.ok;
  }
  if (name === undefined || name === 'help' || helpFlags.has(name)) {
    if (rest[0] === undefined) {
      io.stdout.write(helpText(all));
      return ExitCode.ok;
    }
    const topic = all.find((c) => c.name === rest[0]);
    if (!topic) {
      io.stderr.write(`dmasim help: unknown command '${rest[0]}'\n\n${helpText(all)}`);
      return ExitCode.badInput;
    }
    io.stdout.write(`${topic.usage}\n`);
    return ExitCode.ok;
  }
  const command = all.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`dmasim: unknown command '${name}'\n\n${helpText(all)}`);
    return ExitCode.badInput;
  }
  // `dmasim <command> --help` anywhere in the arguments: the usage, never a run (as git and npm do).
  if (rest.some((arg) => helpFlags.has(arg))) {
    io.stdout.write(`${command.usage}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      io.stderr.write(`dmasim ${command.name}: ${error.message}\n\n${command.usage}\n`);
      return ExitCode.badInput;
    }
    if (error instanceof FlagError) {
      io.stderr.write(`dmasim ${command.name}: ${error.message}\n`);
      return ExitCode.badInput;
    }
    if (isOperatorError(error)) {
      io.stderr.write(`dmasim ${command.name}: ${error.message}\n`);
      return ExitCode.failure;
    }
    throw error;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`dmasim: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = ExitCode.failure;
    },
  );
}
