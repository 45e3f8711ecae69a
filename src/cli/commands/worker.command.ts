import { type CliCommand, ExitCode, UsageError } from '../command';
import { loadConfig } from '../../platform/config';
import { lowerCpuPriority } from '../../platform/cpu-priority';
import { createLogger } from '../../platform/logger';
import { checkPostgres, checkRedis } from '../../platform/service-check';
import { startWorkerProcess } from '../../main/worker.process';

const usage = `usage: dmasim worker

Runs queued runs: a BullMQ worker (WORKER_CONCURRENCY jobs at once) that hands each job to one of
WORKER_CONCURRENCY warm engine threads (the built dist/workers/run.processor.js, started once; run
npm run build first). Database or Redis outages delay a job without using up its attempts.
At start and every RECONCILE_INTERVAL_MS it re-enqueues QUEUED runs without a job and recovers
RUNNING runs whose job is gone. The process runs at the CPU priority WORKER_NICE (default 10), so
on a shared host API processes are served first. The worker processes of a host share
WORKER_HOST_SEATS execution seats (default auto: the CPUs the process may run on; 0: no host-wide
limit): a process takes jobs only while it holds seats, and one started beyond them stands by until
a seated process stops or dies.
SIGTERM/SIGINT let the current runs finish within WORKER_SHUTDOWN_GRACE_MS, then hand the rest back
to the queue. SIGUSR2 pauses the process: it takes no new runs (runs it has started finish; it
prints "dmasim worker paused" once they have) and keeps its host seats; SIGCONT resumes it (prints
"dmasim worker resumed"). A process continued after SIGSTOP (or Ctrl-Z) resumes as well.`;

export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'execute queued runs (BullMQ worker with warm engine threads)',
  usage,
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, name: 'dmasim-worker' });
    await Promise.all([checkPostgres(config.databaseUrl), checkRedis(config.redisUrl)]);
    // Before any thread starts: the engine threads and the pool's threads inherit it.
    const nice = lowerCpuPriority(config.workerNice);
    if (nice === undefined) logger.warn({ workerNice: config.workerNice }, 'could not lower the CPU priority');
    const worker = await startWorkerProcess(config, logger);
    io.stdout.write(
      `dmasim worker running (concurrency ${config.workerConcurrency}, nice ${nice ?? 'unchanged'}, prefix ${config.bullmqPrefix})\n`,
    );
    let paused = false;
    const pause = (): void => {
      if (paused) return;
      paused = true;
      worker.pause().then(
        () => {
          if (paused) io.stdout.write('dmasim worker paused\n');
        },
        // A signal handler has no caller to hand the error to: log it (the process keeps running).
        (error: unknown) => logger.error({ err: error }, 'pausing the worker failed'),
      );
    };
    const resume = (): void => {
      if (!paused) return;
      paused = false;
      worker.resume();
      io.stdout.write('dmasim worker resumed\n');
    };
    process.on('SIGUSR2', pause);
    process.on('SIGCONT', resume);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    process.off('SIGUSR2', pause);
    process.off('SIGCONT', resume);
    await worker.stop();
    return ExitCode.ok;
  },
};
