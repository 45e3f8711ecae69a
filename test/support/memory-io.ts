import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli/command';

/** In-memory stdin/stdout/stderr for driving `runCli` in-process. */
export function memoryIo(stdinText = ''): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  stderr.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  return {
    stdin: Readable.from([stdinText]),
    stdout,
    stderr,
    out: () => Buffer.concat(chunks.out).toString('utf8'),
    err: () => Buffer.concat(chunks.err).toString('utf8'),
  };
}
