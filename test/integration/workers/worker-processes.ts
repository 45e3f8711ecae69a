import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

// `dmasim worker` child processes, as operators run them, for the fault tests.
const repoRoot = path.join(__dirname, '..', '..', '..');

export interface SpawnedWorker {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** Everything the process printed so far (JSON log lines at LOG_LEVEL info). */
  output(): string;
  /** Runs this process started executing (its "run job started" log lines). */
  startedRuns(): string[];
}

export function spawnWorker(env: Record<string, string> = {}): Promise<SpawnedWorker> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'dmasim.js'), 'worker'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '1',
      WORKER_LOCK_DURATION_MS: '2000',
      RECONCILE_INTERVAL_MS: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const startedRuns = (): string[] =>
    output
      .split('\n')
      .filter((line) => line.includes('"run job started"'))
      .map((line) => (JSON.parse(line) as { runId: string }).runId);
  return new Promise((resolve, reject) => {
    // Generous: on a loaded machine a process loading the service and its engine threads is slow to start.
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a late starter behind to take another test's jobs
      reject(new Error(`worker did not start within 180 s: ${output}`));
    }, 180_000);
    const onData = (): void => {
      if (output.includes('dmasim worker running')) {
        clearTimeout(timer);
        resolve({ child, exited, output: () => output, startedRuns });
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(() => reject(new Error(`worker exited early: ${output}`)));
  });
}

/** SIGKILLs the worker if it still runs and waits for it to exit. */
export async function killWorker(worker: SpawnedWorker): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
}

/** Polls `check` until it returns a value (not undefined); generous upper bound, no timing assertion. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
