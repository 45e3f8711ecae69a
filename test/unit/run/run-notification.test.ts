import { runOfNotification } from '../../../src/modules/run/run.repository';

// The run a dmasim_run_updated notification carries (the trigger's JSON): mapped as the repository
// maps runs, or undefined when the listener must read the run instead.
describe('runOfNotification', () => {
  const payload = {
    id: '00000000-0000-4000-8000-000000000001',
    teamId: '00000000-0000-4000-8000-000000000002',
    scenarioId: '00000000-0000-4000-8000-000000000003',
    scenarioVersionId: '00000000-0000-4000-8000-000000000004',
    batchId: null,
    profile: 'v7.2',
    overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
    seed: '18446744073709551615',
    engineVersion: '1',
    status: 'RUNNING',
    trigger: 'MANUAL',
    idempotencyKey: null,
    attempts: 1,
    progress: 0.5,
    errorCode: null,
    errorMessage: null,
    resultHash: null,
    createdAt: '2026-12-05T08:00:00.123+00:00',
    startedAt: '2026-12-05T08:00:01.5+00:00',
    finishedAt: null,
    timeLimitMs: null,
    operationsCap: null,
    verdict: null,
    summary: null,
    revision: 4,
  };

  it('maps the JSON to a run: dates, the seed as a bigint, the revision', () => {
    const run = runOfNotification(JSON.stringify(payload));
    expect(run).toMatchObject({ id: payload.id, status: 'RUNNING', progress: 0.5, attempts: 1, revision: 4 });
    expect(run?.seed).toBe(2n ** 64n - 1n);
    expect(run?.createdAt.toISOString()).toBe('2026-12-05T08:00:00.123Z');
    expect(run?.startedAt?.toISOString()).toBe('2026-12-05T08:00:01.500Z');
    expect(run?.finishedAt).toBeNull();
    expect(run?.overlays).toEqual([{ name: 'device-cc-accepted', variant: 'dan' }]);
  });

  it('gives nothing for the id alone, a payload without a revision, or text that is not such JSON', () => {
    const { revision: _revision, ...withoutRevision } = payload;
    expect(runOfNotification(payload.id)).toBeUndefined();
    expect(runOfNotification(JSON.stringify(withoutRevision))).toBeUndefined();
    expect(runOfNotification('{not json')).toBeUndefined();
    expect(runOfNotification(JSON.stringify({ ...payload, seed: 7 }))).toBeUndefined();
  });
});
