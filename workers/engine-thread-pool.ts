import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from '../src/platform/logger';
import type { RunJobPlan } from '../src/modules/run/run.queue';
import type { EngineThreadMessage, EngineThreadRequest, RunJobResult } from './run.processor';

/** How one execution in a thread ended, as the run worker sees it. */
export type ThreadOutcome =
  | { readonly kind: 'finished'; readonly result: RunJobResult }
  /** The executor stored FAILED with this code; not retried. */
  | { readonly kind: 'failed'; readonly code: string; readonly message: string }
  /**
   * The execution threw. `infrastructure` when the database was unreachable or the thread died
   * (crash, out of memory, terminated): nothing about the run itself.
   */
  | { readonly kind: 'error'; readonly infrastructure: boolean; readonly name: string; readonly message: string };

interface Slot {
  readonly id: number;
  thread: Thread;
  ready: Promise<void>;
  current?: {
    readonly runId: string;
    readonly onProgress: (fraction: number) => void;
    readonly settle: (outcome: ThreadOutcome) => void;
  };
}

/**
 * A fixed set of warm engine threads (one per concurrent job): each loads the engine and opens its
 * database client once, then executes runs one after another. A thread that dies (crash, OOM,
 * `terminate`) answers its current run with an infrastructure error and is replaced by a fresh
 * one, so the pool always returns to full strength without a worker restart.
 */
export class EngineThreadPool {
  private readonly slots: Slot[] = [];
  private readonly waiters: Array<(slot: Slot) => void> = [];
  /** Slots handed to an execution (from acquire until the execution settles). */
  private readonly reserved = new Set<Slot>();
  private closing = false;

  constructor(
    private readonly file: string,
    private readonly size: number,
    private readonly workerData: unknown,
    private readonly logger: Logger,
  ) {
    for (let id = 0; id < size; id++) this.slots.push(this.spawn(id));
  }

  /** Resolves once every thread has loaded its modules. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.ready));
  }

  /** Executes a run (with its job's plan, when it has one) in an idle thread (waiting for one if all are busy). Never rejects. */
  async execute(runId: string, onProgress: (fraction: number) => void, plan?: RunJobPlan): Promise<ThreadOutcome> {
    if (this.closing) return { kind: 'error', infrastructure: true, name: 'PoolClosed', message: 'engine pool closed' };
    const slot = await this.acquire();
    try {
      await slot.ready;
    } catch (error: unknown) {
      this.release(slot);
      return {
        kind: 'error',
        infrastructure: true,
        name: 'EngineThreadNotReady',
        message: error instanceof Error ? error.message : String(error),
      };
    }
    return new Promise<ThreadOutcome>((resolve) => {
      slot.current = {
        runId,
        onProgress,
        settle: (outcome) => {
          slot.current = undefined;
          this.release(slot);
          resolve(outcome);
        },
      };
      slot.thread.postMessage({ type: 'execute', runId, plan } satisfies EngineThreadRequest);
    });
  }

  /** Run ids executing right now. */
  busyRuns(): string[] {
    return this.slots.flatMap((slot) => (slot.current ? [slot.current.runId] : []));
  }

  /** Stops the thread executing `runId` at once (it is replaced unless the pool is closing). */
  async terminateRun(runId: string): Promise<void> {
    const slot = this.slots.find((candidate) => candidate.current?.runId === runId);
    if (slot) await slot.thread.terminate();
  }

  /** Terminates every thread; executions still in flight answer with an infrastructure error. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => slot.thread.terminate()));
  }

  private acquire(): Promise<Slot> {
    const idle = this.slots.find((slot) => !this.reserved.has(slot));
    if (idle) {
      this.reserved.add(idle);
      return Promise.resolve(idle);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(slot: Slot): void {
    this.reserved.delete(slot);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.reserved.add(slot);
      waiter(slot);
    }
  }

  private spawn(id: number): Slot {
    const slot = { id } as Slot;
    this.startThread(slot);
    return slot;
  }

  /** Starts a thread for `slot` (at construction, and again whenever its thread exits). */
  private startThread(slot: Slot): void {
    const thread = new Thread(this.file, { workerData: this.workerData });
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    slot.thread = thread;
    slot.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    slot.ready.catch(() => undefined);
    const settle = (runId: string, outcome: ThreadOutcome): void => {
      if (slot.current?.runId === runId) slot.current.settle(outcome);
    };
    thread.on('message', (message: EngineThreadMessage) => {
      switch (message.type) {
        case 'ready':
          started = true;
          markReady();
          return;
        case 'progress':
          if (slot.current?.runId === message.runId) slot.current.onProgress(message.fraction);
          return;
        case 'finished':
          settle(message.runId, { kind: 'finished', result: message.result });
          return;
        case 'failed':
          settle(message.runId, { kind: 'failed', code: message.code, message: message.message });
          return;
        case 'error':
          settle(message.runId, {
            kind: 'error',
            infrastructure: message.infrastructure,
            name: message.name,
            message: message.message,
          });
          return;
      }
    });
    thread.on('error', (error) => this.logger.error({ err: error, thread: slot.id }, 'engine thread crashed'));
    let started = false;
    thread.once('exit', (exitCode) => {
      failReady(new Error(`engine thread ${slot.id} exited with code ${exitCode} before it was ready`));
      const current = slot.current;
      if (!this.closing) {
        this.logger.warn(
          { thread: slot.id, exitCode, runId: current?.runId },
          'engine thread exited; starting a new one',
        );
        // A thread that never became ready (a broken build, no database URL) is retried once a second, not in a loop.
        if (started) this.startThread(slot);
        else setTimeout(() => this.closing || this.startThread(slot), 1000).unref();
      }
      current?.settle({
        kind: 'error',
        infrastructure: true,
        name: 'EngineThreadExited',
        message: `engine thread exited with code ${exitCode} while executing the run`,
      });
    });
  }
}
