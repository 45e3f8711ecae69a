import { type CliCommand, type CliIo, ExitCode, UsageError } from './command';
import { commands } from './commands/index';
import { ConfigError } from '../platform/config';
import { ServiceUnavailableError } from '../platform/service-check';

/** Errors whose message is the whole story for the user: printed without a stack trace. */
function isOperatorError(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof ServiceUnavailableError;
}

function helpText(all: readonly CliCommand[]): string {
  const width = Math.max(...all.map((c) => c.name.length), 4);
  const lines = all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: dmasim <command> [options]', '', 'commands:', ...lines, '', 'dmasim help <command> shows a command\'s options.', ''].join('\n');
}

/** Runs `dmasim <args>` against the given streams and resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo, all: readonly CliCommand[] = commands): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] === undefined ? undefined : all.find((c) => c.name === rest[0]);
    io.stdout.write(topic ? `${topic.usage}\n` : helpText(all));
    return ExitCode.ok;
  }
  const command = all.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`dmasim: unknown command '${name}'\n\n${helpText(all)}`);
    return ExitCode.badInput;
  }
  try {
    return await command.run(rest, io);
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      io.stderr.write(`dmasim ${command.name}: ${error.message}\n\n${command.usage}\n`);
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
