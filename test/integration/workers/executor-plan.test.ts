import { engineSpecValidator } from '../../../src/modules/scenario/engine-spec-validator';
import { RunFailedError } from '../../../src/modules/run/run.errors';
import { RunExecutor } from '../../../src/modules/run/run.executor';
import { planOfRun, type RunJobPlan } from '../../../src/modules/run/run.queue';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { ResultRepository } from '../../../src/modules/result/result.repository';
import { ScenarioRepository } from '../../../src/modules/scenario/scenario.repository';
import { systemClock } from '../../../src/platform/clock';
import { useApiHarness } from '../../support/api-harness';
import { newTestTeam } from '../../support/factories';

// A run's job carries its plan (the run's inputs), so the executor starts the engine while the
// RUNNING write is in flight. These check, against the real database, that the plan changes when
// the work happens and never what is stored: runs are submitted (QUEUED, no worker here) and
// executed by an executor built as an engine thread builds it.
describe('RunExecutor with a job plan', () => {
  const api = useApiHarness();
  const hooks = { timeLimitMs: 60_000 };

  function executor(): RunExecutor {
    return new RunExecutor(
      new RunRepository(api.db),
      new ScenarioRepository(api.db),
      engineSpecValidator,
      new ResultRepository(api.db),
      systemClock,
    );
  }

  async function queuedRuns(count: number) {
    const team = await newTestTeam(api.harness);
    const scenarioId = await team.scenario('planned');
    const runs = new RunRepository(api.db);
    const stored = [];
    for (let i = 0; i < count; i++) {
      const { id } = await team.queuedRun(scenarioId);
      stored.push((await runs.findById(team.teamId, id))!);
    }
    return { team, runs: stored };
  }

  const stateOf = (id: string) =>
    api.db.run.findUniqueOrThrow({
      where: { id },
      select: { status: true, attempts: true, resultHash: true, startedAt: true },
    });

  it("stores the same result from the plan as from the run's row, once, after marking it RUNNING", async () => {
    const { runs } = await queuedRuns(2);
    const [planned, unplanned] = runs as [(typeof runs)[0], (typeof runs)[0]];

    const fromPlan = await executor().execute(planned.id, hooks, planOfRun(planned));
    const fromRow = await executor().execute(unplanned.id, hooks);

    expect(fromPlan).toMatchObject({ kind: 'succeeded', finishedAt: expect.any(Date) });
    expect(fromRow).toMatchObject({ kind: 'succeeded' });
    const hashOf = (outcome: typeof fromPlan) => (outcome.kind === 'succeeded' ? outcome.resultHash : undefined);
    expect(hashOf(fromPlan)).toBe(hashOf(fromRow));
    expect(await stateOf(planned.id)).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 1,
      resultHash: hashOf(fromPlan),
      startedAt: expect.any(Date),
    });
    expect(await api.db.runReport.count({ where: { runId: planned.id } })).toBe(1);
  });

  it("checks a version's spec once per kernel, overlays, seed and cap, and stores what an executor without it stores", async () => {
    const team = await newTestTeam(api.harness);
    const scenarioId = await team.scenario('checked-once');
    const runs = new RunRepository(api.db);
    const submitted = [
      await team.queuedRun(scenarioId),
      await team.queuedRun(scenarioId),
      await team.queuedRun(scenarioId, { seed: '99' }),
      await team.queuedRun(scenarioId),
    ];
    const stored = await Promise.all(submitted.map(async ({ id }) => (await runs.findById(team.teamId, id))!));
    const checks: unknown[] = [];
    const counting = {
      parseText: (text: string) => engineSpecValidator.parseText(text),
      validate: (spec: unknown) => {
        checks.push(spec);
        return engineSpecValidator.validate(spec);
      },
    };
    const shared = new RunExecutor(
      new RunRepository(api.db),
      new ScenarioRepository(api.db),
      counting,
      new ResultRepository(api.db),
      systemClock,
    );

    const outcomes = [];
    for (const [index, run] of stored.entries())
      // With and without the job's plan: both paths use the same kept check.
      outcomes.push(await shared.execute(run.id, hooks, index % 2 === 0 ? planOfRun(run) : undefined));

    expect(checks).toHaveLength(2); // the spec's own seed, then seed 99
    const hashes = outcomes.map((outcome) => (outcome.kind === 'succeeded' ? outcome.resultHash : outcome.kind));
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[3]).toBe(hashes[0]);
    expect(hashes[2]).not.toBe(hashes[0]);
    // A fresh executor (nothing kept) stores the same result for the seed-99 run's inputs.
    const again = await team.queuedRun(scenarioId, { seed: '99' });
    const fresh = await executor().execute(again.id, hooks);
    expect(fresh).toMatchObject({ kind: 'succeeded', resultHash: hashes[2] });
  });

  it('discards the engine work when the run is already final, and stores nothing', async () => {
    const { team, runs } = await queuedRuns(1);
    const run = runs[0]!;
    await new RunRepository(api.db).cancel(team.teamId, run.id, new Date());

    const outcome = await executor().execute(run.id, hooks, planOfRun(run));

    expect(outcome).toEqual({ kind: 'skipped', reason: 'already-final' });
    expect(await stateOf(run.id)).toMatchObject({ status: 'CANCELLED', attempts: 0, resultHash: null });
    expect(await api.db.runReport.count({ where: { runId: run.id } })).toBe(0);
    expect(await api.db.violation.count({ where: { runId: run.id } })).toBe(0);
  });

  it("stores FAILED with the failure's code when a planned execution fails for a reason in the run", async () => {
    const { runs } = await queuedRuns(1);
    const run = runs[0]!;
    // The failure comes from the first check between slices, the place an engine invariant failure
    // of a later slice would surface (runEngineInSlices turns it into RunFailedError).
    const failing = {
      ...hooks,
      sliceOperations: 10,
      progressIntervalMs: 0,
      onProgress: () => {
        throw new RunFailedError('ENGINE_INVARIANT', 'broken on purpose');
      },
    };

    const outcome = await executor().execute(run.id, failing, planOfRun(run));

    expect(outcome).toEqual({
      kind: 'failed',
      unrecoverable: true,
      code: 'ENGINE_INVARIANT',
      message: 'broken on purpose',
    });
    expect(await stateOf(run.id)).toMatchObject({ status: 'FAILED', attempts: 1, resultHash: null });
    expect(await api.db.runReport.count({ where: { runId: run.id } })).toBe(0);
  });

  it('skips a run that does not exist', async () => {
    const { runs } = await queuedRuns(1);
    const plan = planOfRun(runs[0]!);

    const outcome = await executor().execute('6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f', hooks, plan);

    expect(outcome).toEqual({ kind: 'skipped', reason: 'run-missing' });
  });

  it('executes from the stored run when the plan contradicts it or its spec does not check', async () => {
    const { runs } = await queuedRuns(3);
    const [reference, reseeded, unprofiled] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    const expected = await executor().execute(reference.id, hooks);
    const wrongSeed: RunJobPlan = { ...planOfRun(reseeded), seed: String(reseeded.seed + 1n) };
    const unknownProfile: RunJobPlan = { ...planOfRun(unprofiled), profile: 'no-such-kernel' };

    const fromReseeded = await executor().execute(reseeded.id, hooks, wrongSeed);
    const fromUnprofiled = await executor().execute(unprofiled.id, hooks, unknownProfile);

    const hashOf = (outcome: typeof expected) => (outcome.kind === 'succeeded' ? outcome.resultHash : outcome.kind);
    expect(hashOf(expected)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOf(fromReseeded)).toBe(hashOf(expected));
    expect(hashOf(fromUnprofiled)).toBe(hashOf(expected));
    // One RUNNING write each: the contradicted plan's execution does not start the run twice.
    expect((await stateOf(reseeded.id)).attempts).toBe(1);
    expect((await stateOf(unprofiled.id)).attempts).toBe(1);
  });
});
