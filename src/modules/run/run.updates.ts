import type { Viewer } from '../team/team.types';
import { notFound } from '../../platform/app-error';
import type { NotificationListener } from '../../platform/pg-notifications';
import type { RunService } from './run.service';
import { runOfNotification } from './run.repository';
import { finalRunStatuses, type Run, type RunBatchWithRuns, runUpdatedChannel } from './run.types';

/**
 * A run's status, progress or attempts changed (`runId`, with the run as it stands after the change
 * when the source carries it), or runs may have changed unheard (`runId` undefined: the source was
 * away, e.g. its connection was re-opened).
 */
export interface RunEvent {
  readonly runId: string | undefined;
  readonly run?: Run;
}

/** Tells subscribers when runs change; what changed is read from PostgreSQL. */
export interface RunEventSource {
  subscribe(listener: (event: RunEvent) => void): () => void;
  close(): Promise<void>;
}

/** Wakes a waiting watcher on a run event, or after `timeoutMs` (the safety poll). */
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
 * Live run and batch state for GraphQL subscriptions. Run events (the run table's NOTIFY, from every
 * writer) say *when* to look; PostgreSQL, read through the team-scoped run service, says *what* to
 * send — so a subscriber never sees another team's data and never misses a final state.
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
      // The run as the change left it, when the event carries it: no read needed.
      (event) => (event.run?.id === runId && event.run.teamId === viewer.teamId ? event.run : undefined),
      (run) => run.revision,
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
   * Subscribes to run events first, then reads the first state (the access check: it throws before
   * anything is returned). An event that arrives between the two — or before the watched run ids are
   * known — leaves the wakeup fired, so the stream reads once more; otherwise the first read is the
   * only one until an event or the safety poll. An event whose value `fromEvent` gives (the state
   * the change left) is sent without a read; the stream reads when an event carries none, and when
   * events arrived during a read (the read may have seen a newer state than they carry). Where
   * `revisionOf` orders the states, a carried state no newer than one already read or heard is
   * dropped: the notification connection can deliver a change after a read on another connection
   * has already seen a later one, and sending it would step the stream back once. The subscription
   * ends when the stream ends or is returned, also when it is returned before it was
   * ever iterated.
   */
  private async watch<T>(
    load: () => Promise<T>,
    runIdsOf: (value: T) => readonly string[],
    fingerprint: (value: T) => string,
    isFinal: (value: T) => boolean,
    fromEvent: (event: RunEvent) => T | undefined = () => undefined,
    revisionOf: (value: T) => number | undefined = () => undefined,
  ): Promise<AsyncIterableIterator<T>> {
    const wakeup = new Wakeup();
    // The watched run ids, known once the first read is back (until then every event wakes).
    const watched: { runIds?: ReadonlySet<string> } = {};
    // What the events since the last state say: the newest carried value, or that a read is needed.
    const heard: { value?: T; mustRead: boolean; reading: boolean } = { mustRead: false, reading: true };
    // The highest revision read or heard so far (-1: none yet, or states without one).
    let newestRevision = -1;
    const unsubscribe = this.events.subscribe((event) => {
      if (watched.runIds && event.runId !== undefined && !watched.runIds.has(event.runId)) return;
      const value = heard.reading ? undefined : fromEvent(event);
      if (value === undefined) heard.mustRead = true;
      else {
        const revision = revisionOf(value);
        if (revision !== undefined) {
          if (revision <= newestRevision) return; // late: a newer state was read or heard already
          newestRevision = revision;
        }
        heard.value = value;
      }
      wakeup.fire();
    });
    const read = async (): Promise<T> => {
      heard.reading = true;
      try {
        const value = await load();
        newestRevision = Math.max(newestRevision, revisionOf(value) ?? -1);
        return value;
      } finally {
        heard.reading = false;
      }
    };
    let first: T;
    try {
      first = await read();
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
          const carried = heard.mustRead ? undefined : heard.value;
          heard.value = undefined;
          heard.mustRead = false;
          // Nothing heard (the safety poll) or a read needed: read; else the newest carried state.
          current = carried ?? (await read());
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
 * Run events from PostgreSQL: a trigger on the run table NOTIFYs `runUpdatedChannel` at every
 * change a subscriber can see, delivered at commit, with the run as the change left it (or its id
 * alone when that is too large for a notification). `listener` is the API process's one
 * notification connection, listening on that channel; each time it (re)starts listening, every
 * subscriber is woken once (`runId` undefined), since changes made while it was away went unheard.
 * Closing the source leaves the listener open.
 */
export function createRunUpdatedEventSource(listener: NotificationListener): RunEventSource {
  const listeners = new Set<(event: RunEvent) => void>();
  const emit = (event: RunEvent): void => {
    for (const notify of listeners) notify(event);
  };
  const stopHearing = listener.on(runUpdatedChannel, (payload) => {
    const run = runOfNotification(payload); // the run as JSON, or undefined for its id alone
    emit(run ? { runId: run.id, run } : { runId: payload });
  });
  const stopWatchingConnection = listener.onListening(() => emit({ runId: undefined }));
  return {
    subscribe(notify) {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    close: () => {
      stopHearing();
      stopWatchingConnection();
      return Promise.resolve();
    },
  };
}
