import { AppError } from '../../../src/platform/app-error';
import type { RunService } from '../../../src/modules/run/run.service';
import type { Run } from '../../../src/modules/run/run.types';
import { type RunEvent, type RunEventSource, RunUpdates } from '../../../src/modules/run/run.updates';
import type { Viewer } from '../../../src/modules/team/team.types';

// A subscription subscribes to run events before its first read, so that read is both the access
// check and the first state: one read per subscription until something happens, and no event lost
// between the check and the subscription.
describe('RunUpdates.watchRun', () => {
  const viewer: Viewer = { teamId: 'team-1', tokenId: 'token-1', role: 'viewer' };

  function fixture(states: Array<Partial<Run> | 'missing'>) {
    const listeners = new Set<(event: RunEvent) => void>();
    const events: RunEventSource = {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: () => Promise.resolve(),
    };
    let reads = 0;
    let duringRead: (() => void) | undefined;
    const runs = {
      getOrThrow: (_viewer: Viewer, id: string) => {
        const state = states[Math.min(reads, states.length - 1)]!;
        reads++;
        duringRead?.();
        duringRead = undefined;
        if (state === 'missing') return Promise.reject(new AppError('NOT_FOUND', `run ${id} not found`));
        return Promise.resolve({ id, status: 'QUEUED', progress: 0, attempts: 0, ...state } as Run);
      },
    } as unknown as RunService;
    const updates = new RunUpdates(runs, events, { pollIntervalMs: 60_000 });
    const emit = (runId: string | undefined, run?: Partial<Run>) => {
      const carried = run ? ({ id: runId, teamId: 'team-1', progress: 0, attempts: 1, ...run } as Run) : undefined;
      for (const listener of [...listeners]) listener({ runId, ...(carried ? { run: carried } : {}) });
    };
    return {
      updates,
      emit,
      listeners,
      reads: () => reads,
      onNextRead: (action: () => void) => (duringRead = action),
    };
  }

  it('reads a final run once and ends, leaving no subscription', async () => {
    const f = fixture([{ status: 'SUCCEEDED', progress: 1 }]);
    const seen: string[] = [];
    for await (const run of await f.updates.watchRun(viewer, 'run-1')) seen.push(run.status);
    expect(seen).toEqual(['SUCCEEDED']);
    expect(f.reads()).toBe(1);
    expect(f.listeners.size).toBe(0);
  });

  it('sends the first state from the access read and reads again only on an event for the run', async () => {
    const f = fixture([{ status: 'QUEUED' }, { status: 'SUCCEEDED', progress: 1 }]);
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect((await stream.next()).value).toMatchObject({ status: 'QUEUED' });
    expect(f.reads()).toBe(1);
    const next = stream.next();
    f.emit('another-run');
    await new Promise((resolve) => setImmediate(resolve));
    expect(f.reads()).toBe(1);
    f.emit('run-1');
    expect((await next).value).toMatchObject({ status: 'SUCCEEDED' });
    expect(f.reads()).toBe(2);
    expect((await stream.next()).done).toBe(true);
    expect(f.listeners.size).toBe(0);
  });

  it('reads again when runs may have changed unheard (an event without a run id)', async () => {
    const f = fixture([{ status: 'QUEUED' }, { status: 'RUNNING' }]);
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect((await stream.next()).value).toMatchObject({ status: 'QUEUED' });
    const next = stream.next();
    f.emit(undefined);
    expect((await next).value).toMatchObject({ status: 'RUNNING' });
    expect(f.reads()).toBe(2);
    await stream.return?.();
  });

  it('sends the state an event carries without reading the run again', async () => {
    const f = fixture([{ status: 'QUEUED' }]);
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect((await stream.next()).value).toMatchObject({ status: 'QUEUED' });
    const running = stream.next();
    f.emit('run-1', { status: 'RUNNING', progress: 0.5 });
    expect((await running).value).toMatchObject({ status: 'RUNNING', progress: 0.5 });
    const succeeded = stream.next();
    f.emit('run-1', { status: 'SUCCEEDED', progress: 1 });
    expect((await succeeded).value).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
    expect((await stream.next()).done).toBe(true);
    expect(f.reads()).toBe(1);
  });

  it('reads instead of trusting a carried run of another team, or one heard during a read', async () => {
    const f = fixture([
      { status: 'QUEUED' },
      { status: 'RUNNING', progress: 0.25 },
      { status: 'SUCCEEDED', progress: 1 },
    ]);
    // Heard while the access read is in flight: that read may have seen a newer state.
    f.onNextRead(() => f.emit('run-1', { status: 'QUEUED', progress: 0 }));
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect((await stream.next()).value).toMatchObject({ status: 'QUEUED' });
    expect((await stream.next()).value).toMatchObject({ status: 'RUNNING', progress: 0.25 });
    expect(f.reads()).toBe(2);
    const next = stream.next();
    f.emit('run-1', { status: 'CANCELLED', teamId: 'team-2' });
    expect((await next).value).toMatchObject({ status: 'SUCCEEDED' });
    expect(f.reads()).toBe(3);
  });

  it('drops a carried state no newer than one it read (a notification overtaken by the read)', async () => {
    const f = fixture([{ status: 'RUNNING', progress: 0.5, revision: 3 }]);
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect((await stream.next()).value).toMatchObject({ status: 'RUNNING', progress: 0.5 });
    const next = stream.next();
    // Committed before the read's snapshot, delivered after it: older, then the same revision.
    f.emit('run-1', { status: 'RUNNING', progress: 0.25, revision: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    f.emit('run-1', { status: 'RUNNING', progress: 0.5, revision: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    f.emit('run-1', { status: 'SUCCEEDED', progress: 1, revision: 4 });
    expect((await next).value).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
    expect(f.reads()).toBe(1);
    expect((await stream.next()).done).toBe(true);
  });

  it('sends the newest of several carried states heard between two sends, never an older one after it', async () => {
    const f = fixture([{ status: 'QUEUED', revision: 0 }]);
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect((await stream.next()).value).toMatchObject({ status: 'QUEUED' });
    f.emit('run-1', { status: 'RUNNING', progress: 0.5, revision: 2 });
    f.emit('run-1', { status: 'RUNNING', progress: 0.25, revision: 1 });
    expect((await stream.next()).value).toMatchObject({ status: 'RUNNING', progress: 0.5 });
    const next = stream.next();
    f.emit('run-1', { status: 'RUNNING', progress: 0.25, revision: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    f.emit('run-1', { status: 'FAILED', progress: 0.5, revision: 3 });
    expect((await next).value).toMatchObject({ status: 'FAILED' });
    expect(f.reads()).toBe(1);
  });

  it('does not lose an event that arrives while the access read is in flight', async () => {
    const f = fixture([{ status: 'RUNNING' }, { status: 'SUCCEEDED', progress: 1 }]);
    f.onNextRead(() => f.emit('run-1'));
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect((await stream.next()).value).toMatchObject({ status: 'RUNNING' });
    expect((await stream.next()).value).toMatchObject({ status: 'SUCCEEDED' });
    expect(f.reads()).toBe(2);
  });

  it("throws NOT_FOUND for another team's run at subscribe time and unsubscribes", async () => {
    const f = fixture(['missing']);
    await expect(f.updates.watchRun(viewer, 'run-9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(f.listeners.size).toBe(0);
  });

  it('unsubscribes when the stream is returned before it was iterated', async () => {
    const f = fixture([{ status: 'QUEUED' }]);
    const stream = await f.updates.watchRun(viewer, 'run-1');
    expect(f.listeners.size).toBe(1);
    await stream.return?.();
    expect(f.listeners.size).toBe(0);
  });
});
