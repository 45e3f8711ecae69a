import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { isReplayError, type ReplaySession, startReplay } from '../../engine/index';

const usage = `usage: dmasim swiotlb-replay [<trace.jsonl> | -] [--expected <expected.jsonl>]

Replays a SWIOTLB allocator trace (docs/engine-contract.md §6.1) on the model of kernel/dma/swiotlb.c and prints,
as JSON Lines, one {"id","slot","tlb"} per map ({"id","slot":-1} when it fails) and a final
{"used","hiwater"}. Reads stdin when no file (or -) is given. Bad input stops with exit code 2 and
a message naming the line.

  --expected FILE   compare with a recorded output (e.g. the kernel's, test/fixtures/swiotlb-traces/
                    *.expected.jsonl) instead of printing: "MATCH" with the line count (exit 0), or
                    the first divergence with its trace line, expected and actual (exit 1).`;

interface ReplayArgs {
  readonly file: string;
  readonly expectedFile: string | undefined;
}

function parseArgs(args: readonly string[]): ReplayArgs {
  let file: string | undefined;
  let expectedFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--expected') {
      expectedFile = args[++i];
      if (expectedFile === undefined) throw new UsageError('--expected needs a file');
    } else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`unexpected argument '${arg}'`);
  }
  return { file: file ?? '-', expectedFile };
}

/** The first line where the replay's output differs from the recorded one, said plainly. */
export function firstDivergence(
  actual: readonly { readonly text: string; readonly traceLine: number }[],
  expected: readonly string[],
): string | null {
  const count = Math.max(actual.length, expected.length);
  for (let i = 0; i < count; i++) {
    const got = actual[i];
    if (got?.text === expected[i]) continue;
    const where = got
      ? `output line ${(i + 1).toLocaleString('en-US')} (trace line ${got.traceLine.toLocaleString('en-US')})`
      : `output line ${(i + 1).toLocaleString('en-US')}`;
    return `first divergence at ${where}:\n  expected: ${expected[i] ?? '(nothing: the replay printed more lines)'}\n  actual:   ${got?.text ?? '(nothing: the replay printed fewer lines)'}`;
  }
  return null;
}

export const swiotlbReplayCommand: CliCommand = {
  name: 'swiotlb-replay',
  summary: 'replay an allocator trace slot for slot (JSON Lines in, JSON Lines out)',
  usage,
  async run(args, io) {
    const { file, expectedFile } = parseArgs(args);
    for (const f of [file, expectedFile]) {
      if (f === undefined || f === '-' || existsSync(f)) continue;
      io.stderr.write(`dmasim swiotlb-replay: no such file: ${f}\n`);
      return ExitCode.badInput;
    }
    // With --expected nothing is printed while replaying; outputs are kept for the comparison.
    const collected: { text: string; traceLine: number }[] | undefined = expectedFile === undefined ? undefined : [];
    const input = file === '-' ? io.stdin : createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let session: ReplaySession | undefined;
    let lineNumber = 0;
    let buffered = '';
    const fail = (line: number, message: string): number => {
      io.stdout.write(buffered);
      io.stderr.write(`dmasim swiotlb-replay: ${file === '-' ? 'stdin' : file}:${line}: ${message}\n`);
      return ExitCode.badInput;
    };
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error: unknown) {
        lines.close();
        return fail(lineNumber, `malformed JSON: ${(error as Error).message}`);
      }
      if (!session) {
        const started = startReplay(record, lineNumber);
        if (isReplayError(started)) return fail(started.lineNumber, started.message);
        session = started;
        continue;
      }
      const result = session.apply(record, lineNumber);
      if (result === null) continue;
      if (typeof result !== 'string') {
        lines.close();
        return fail(result.lineNumber, result.message);
      }
      if (collected) {
        collected.push({ text: result, traceLine: lineNumber });
        continue;
      }
      buffered += `${result}\n`;
      if (buffered.length > 1 << 16) {
        io.stdout.write(buffered);
        buffered = '';
      }
    }
    if (!session) return fail(Math.max(lineNumber, 1), 'empty trace: the first line must set up the pool');
    if (collected && expectedFile !== undefined) {
      collected.push({ text: session.finish(), traceLine: lineNumber });
      const expected = (await readFile(expectedFile, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const divergence = firstDivergence(collected, expected);
      io.stdout.write(
        divergence === null
          ? `MATCH: all ${expected.length.toLocaleString('en-US')} output lines identical to ${expectedFile}\n`
          : `DIFF against ${expectedFile}: ${divergence}\n`,
      );
      return divergence === null ? ExitCode.ok : ExitCode.failure;
    }
    io.stdout.write(`${buffered}${session.finish()}\n`);
    return ExitCode.ok;
  },
};
