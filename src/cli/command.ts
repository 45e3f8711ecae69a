/** What a `dmasim` subcommand sees of the process: streams and argv, so tests can drive it in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
}

/** One `dmasim <name>` subcommand. `run` resolves to the process exit code. */
export interface CliCommand {
  readonly name: string;
  /** One line for `dmasim help`. */
  readonly summary: string;
  /** Usage text printed by `dmasim help <name>` and on a usage error. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A usage mistake (unknown flag, missing argument): printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A flag value the user must fix: printed as `dmasim <command>: message` (without the usage), exit code 2. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** Exit codes shared by every command (130 = 128 + SIGINT, as shells report Ctrl-C). */
export const ExitCode = { ok: 0, failure: 1, badInput: 2, interrupted: 130 } as const;
