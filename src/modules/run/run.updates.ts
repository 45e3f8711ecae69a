import type { Viewer } from '../team/team.types';
import { notFound } from '../../platform/app-error';
import type { NotificationListener } from '../../platform/pg-notifications';
import { runResultStoredChannel } from '../result/result.types';
import type { RunEventSource } from './run.queue';
import type { RunService } from './run.service';
import { finalRunStatuses, type Run, type RunBatchWithRuns } from './run.types';

/** Wakes a waiting watcher on a job event, or after `timeoutMs` (the safety poll). */
class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  fire(): void {
    this.pending = true;
    this.wake?.();
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.wake = done;
    });
  }
}

export interface RunUpdatesOptions {
  /** Re-read from PostgreSQL at least this often even without job events (default 2000). */
  readonly pollIntervalMs?: number;
}

/**
 * Live run and batch state for GraphQL subscriptions. BullMQ job events (from every worker, via
 * QueueEvents) say *when* to look; PostgreSQL, read through the team-scoped run service, says
 * *what* to send — so a subscriber never sees another team's data and never misses a final state.
 */
export class RunUpdates {
  constructor(
    private readonly runs: RunService,
    private readonly events: RunEventSource,
    private readonly options: RunUpdatesOptions = {},
  ) {}

  /** Checks access now (NOT_FOUND for another team's id) and returns the stream of the run's states. */
  watchRun(viewer: Viewer, runId: string): Promise<AsyncIterableIterator<Run>> {
    return this.watch(
      () => this.runs.getOrThrow(viewer, runId),
      () => [runId],
      (run) => `${run.status}|${run.progress}|${run.attempts}`,
      (run) => finalRunStatuses.has(run.status),
    );
  }

  /** Checks access now and returns the stream of the batch's states (its runs included). */
  watchBatch(viewer: Viewer, batchId: string): Promise<AsyncIterableIterator<RunBatchWithRuns>> {
    return this.watch(
      async () => {
        const batch = await this.runs.batch(viewer, batchId);
        if (!batch) throw notFound('batch', batchId);
        return batch;
      },
      (batch) => batch.runs.map((r) => r.id),
      (b) => `${b.status}|${b.runs.map((r) => `${r.status}:${r.progress}`).join(',')}`,
      (b) => finalRunStatuses.has(b.status) && b.runs.every((r) => finalRunStatuses.has(r.status)),
    );
  }

  /**
   * Subscribes to job events first, then reads the first state (the access check: it throws before
   * anything is returned). An event that arrives between the two — or before the watched run ids are
   * known — leaves the wakeup fired, so the stream reads once more; otherwise the first read is the
   * only one until an event or the safety poll. The subscription ends when the stream ends or is
   * returned, also when it is returned before it was ever iterated.
   */
  private async watch<T>(
    load: () => Promise<T>,
    runIdsOf: (value: T) => readonly string[],
    fingerprint: (value: T) => string,
    isFinal: (value: T) => boolean,
  ): Promise<AsyncIterableIterator<T>> {
    const wakeup = new Wakeup();
    // The watched run ids, known once the first read is back (until then every event wakes).
    const watched: { runIds?: ReadonlySet<string> } = {};
    const unsubscribe = this.events.subscribe((event) => {
      if (!watched.runIds || watched.runIds.has(event.runId)) wakeup.fire();
    });
    let first: T;
    try {
      first = await load();
    } catch (error: unknown) {
      unsubscribe();
      throw error;
    }
    watched.runIds = new Set(runIdsOf(first));
    const pollIntervalMs = this.options.pollIntervalMs ?? 2000;
    async function* states(): AsyncGenerator<T> {
      try {
        let sent: string | undefined;
        let current = first;
        for (;;) {
          const key = fingerprint(current);
          if (key !== sent) {
            sent = key;
            yield current;
          }
          if (isFinal(current)) return;
          await wakeup.wait(pollIntervalMs);
          current = await load();
        }
      } finally {
        unsubscribe();
      }
    }
    const stream = states();
    const iterator: AsyncIterableIterator<T> = {
      next: () => stream.next(),
      return: (value?: unknown) => {
        unsubscribe();
        return stream.return(value as T);
      },
      throw: (error?: unknown) => {
        unsubscribe();
        return stream.throw(error);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

/** An event source with no events (API processes built without Redis events, e.g. some tests). */
export const noRunEvents: RunEventSource = {
  subscribe: () => () => undefined,
  close: () => Promise.resolve(),
};

/**
 * `result-stored` events from PostgreSQL: the result statement NOTIFYs at commit, so a subscriber
 * hears of a finished run without the worker → Redis → QueueEvents hops (the job's own events
 * follow a few milliseconds later and find nothing new). `listener` is the API process's one
 * notification connection, listening on `runResultStoredChannel`; closing the source leaves it open.
 */
export function createResultStoredEventSource(listener: NotificationListener): RunEventSource {
  const listeners = new Set<(event: { runId: string; event: 'result-stored' }) => void>();
  const stopHearing = listener.on(runResultStoredChannel, (runId) => {
    for (const notify of listeners) notify({ runId, event: 'result-stored' });
  });
  return {
    subscribe(notify) {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    close: () => {
      stopHearing();
      return Promise.resolve();
    },
  };
}

/** Several event sources as one: a subscriber hears every source; close closes them all. */
export function mergeRunEventSources(...sources: readonly RunEventSource[]): RunEventSource {
  return {
    subscribe(listener) {
      const unsubscribes = sources.map((source) => source.subscribe(listener));
      return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
    },
    async close() {
      await Promise.all(sources.map((source) => source.close()));
    },
  };
}
