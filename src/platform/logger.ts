import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; one logger per process, children carry request/run/job ids. */
export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({ level: options.level, name: options.name ?? 'dmasim', base: { pid: process.pid } });
}
