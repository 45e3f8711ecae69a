import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { isReplayError, type ReplaySession, startReplay } from '../../engine/index';

const usage = `usage: dmasim swiotlb-replay [<trace.jsonl> | -]

Replays a SWIOTLB allocator trace (engine.md §6.1) on the model of kernel/dma/swiotlb.c and prints,
as JSON Lines, one {"id","slot","tlb"} per map ({"id","slot":-1} when it fails) and a final
{"used","hiwater"}. Reads stdin when no file (or -) is given. Bad input stops with exit code 2 and
a message naming the line.`;

export const swiotlbReplayCommand: CliCommand = {
  name: 'swiotlb-replay',
  summary: 'replay an allocator trace slot for slot (JSON Lines in, JSON Lines out)',
  usage,
  async run(args, io) {
    if (args.length > 1) throw new UsageError(`unexpected argument '${args[1]}'`);
    const file = args[0] ?? '-';
    if (file !== '-' && !existsSync(file)) {
      io.stderr.write(`dmasim swiotlb-replay: no such file: ${file}\n`);
      return ExitCode.badInput;
    }
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
      buffered += `${result}\n`;
      if (buffered.length > 1 << 16) {
        io.stdout.write(buffered);
        buffered = '';
      }
    }
    if (!session) return fail(Math.max(lineNumber, 1), 'empty trace: the first line must set up the pool');
    io.stdout.write(`${buffered}${session.finish()}\n`);
    return ExitCode.ok;
  },
};
