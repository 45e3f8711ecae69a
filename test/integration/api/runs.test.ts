import { Queue } from 'bullmq';
import { QueueName } from '../../../src/modules/run/run.queue';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { minimalSpecYaml } from '../../support/spec-fixtures';

const submitRun = `mutation($input: SubmitRunInput!) {
  submitRun(input: $input) {
    __typename
    ... on RunSubmitted { created run { id status profile overlays { name variant } seed engineVersion trigger scenarioVersion { id version } scenario { name } } }
    ... on InputRejected { userErrors { path message code } }
  }
}`;

interface Submitted {
  submitRun: {
    __typename: string;
    created: boolean;
    run: {
      id: string;
      status: string;
      profile: string;
      overlays: Array<{ name: string; variant: string | null }>;
      seed: string;
      engineVersion: string;
      trigger: string;
      scenarioVersion: { id: string; version: number };
    };
    userErrors: Array<{ path: string[]; message: string; code: string }>;
  };
}

describe('runs', () => {
  let harness: ApiHarness;
  let queue: Queue;

  beforeAll(async () => {
    harness = await startApiHarness();
    queue = new Queue(QueueName.runs, {
      connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
      prefix: process.env['BULLMQ_PREFIX']!,
    });
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await harness.stop();
  });

  async function scenarioFor(token: string, name = 'runs-scenario'): Promise<string> {
    const response = await harness.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec: minimalSpecYaml({ name }) },
    );
    return response.data.createScenario.scenario.id;
  }

  it('queues a run of the latest version and enqueues a job whose id is the run id', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);

    const response = await harness.gql<Submitted>(token, submitRun, { input: { scenarioId } });
    const run = response.data.submitRun.run;
    const job = await queue.getJob(run.id);

    expect(response.errors).toBeUndefined();
    expect(response.data.submitRun.created).toBe(true);
    expect(run).toMatchObject({
      status: 'QUEUED',
      profile: 'v7.2',
      seed: '7',
      trigger: 'MANUAL',
      scenarioVersion: { version: 1 },
    });
    expect(run.engineVersion).toMatch(/^\d+\.\d+\.\d+$/);
    // The job carries the run's inputs (its plan), so a worker can start the engine before
    // PostgreSQL has answered that the run is RUNNING.
    expect(job?.data).toEqual({
      runId: run.id,
      teamId: expect.any(String),
      plan: {
        teamId: job?.data.teamId,
        scenarioVersionId: run.scenarioVersion.id,
        profile: 'v7.2',
        overlays: [],
        seed: '7',
        operationsCap: null,
      },
    });
    expect(job?.opts.attempts).toBeGreaterThan(1);
  });

  it('applies profile, overlay and seed overrides, and rejects an unknown profile with a path', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);

    const overridden = await harness.gql<Submitted>(token, submitRun, {
      input: {
        scenarioId,
        overrides: { profile: 'lb', overlays: [{ name: 'device-cc-accepted', variant: 'dan' }], seed: '99' },
      },
    });
    const unknown = await harness.gql<Submitted>(token, submitRun, {
      input: { scenarioId, overrides: { profile: 'v2.4' } },
    });

    expect(overridden.data.submitRun.run).toMatchObject({
      profile: 'lb',
      overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
      seed: '99',
    });
    expect(unknown.data.submitRun.__typename).toBe('InputRejected');
    expect(unknown.data.submitRun.userErrors[0]).toMatchObject({
      path: ['input', 'overrides', 'kernel', 'profile'],
      code: 'INVALID_OVERRIDE',
    });
  });

  it('returns the first run for a repeated idempotency key, even when the two submissions race', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);

    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        harness.gql<Submitted>(token, submitRun, { input: { scenarioId, idempotencyKey: 'ci-build-42' } }),
      ),
    );
    const runs = await harness.gql<{ runs: { totalCount: number } }>(token, '{ runs { totalCount } }');

    expect(new Set(racing.map((r) => r.data.submitRun.run.id)).size).toBe(1);
    expect(racing.filter((r) => r.data.submitRun.created)).toHaveLength(1);
    expect(runs.data.runs.totalCount).toBe(1);
  });

  it('requires exactly one of scenarioId and versionId', async () => {
    const { token } = await harness.newTeam();

    const neither = await harness.gql<Submitted>(token, submitRun, { input: {} });

    expect(neither.data.submitRun.userErrors[0]).toMatchObject({ code: 'INVALID_TARGET' });
  });

  it('queues a matrix as a batch with one run per entry', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);

    const response = await harness.gql<{
      submitMatrix: {
        batch: {
          id: string;
          status: string;
          runs: Array<{ id: string; profile: string; trigger: string; overlays: Array<{ name: string }> }>;
        };
      };
    }>(
      token,
      `mutation($input: SubmitMatrixInput!) { submitMatrix(input: $input) { ... on MatrixSubmitted { batch { id status runs { id profile trigger overlays { name } } } } ... on InputRejected { userErrors { path message } } } }`,
      {
        input: {
          scenarioId,
          entries: [
            { profile: 'la-phys' },
            { profile: 'lb' },
            { profile: 'lb', overlays: [{ name: 'device-cc-accepted' }] },
          ],
        },
      },
    );
    const batch = response.data.submitMatrix.batch;
    const jobs = await Promise.all(batch.runs.map((run) => queue.getJob(run.id)));
    const byBatch = await harness.gql<{ runs: { totalCount: number } }>(
      token,
      'query($b: UUID!) { runs(filter: { batchId: $b }) { totalCount } }',
      { b: batch.id },
    );

    expect(batch.status).toBe('QUEUED');
    expect(batch.runs.map((r) => [r.profile, r.overlays.map((o) => o.name)])).toEqual([
      ['la-phys', []],
      ['lb', []],
      ['lb', ['device-cc-accepted']],
    ]);
    expect(batch.runs.every((r) => r.trigger === 'BATCH')).toBe(true);
    expect(jobs.every((job) => job !== undefined)).toBe(true);
    expect(byBatch.data.runs.totalCount).toBe(3);
  });

  it('cancels a queued run, removing its job; cancelling again changes nothing', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);
    const submitted = await harness.gql<Submitted>(token, submitRun, { input: { scenarioId } });
    const id = submitted.data.submitRun.run.id;

    const cancelled = await harness.gql<{ cancelRun: { status: string; finishedAt: string } }>(
      token,
      'mutation($id: UUID!) { cancelRun(id: $id) { status finishedAt } }',
      { id },
    );
    const again = await harness.gql<{ cancelRun: { status: string; finishedAt: string } }>(
      token,
      'mutation($id: UUID!) { cancelRun(id: $id) { status finishedAt } }',
      { id },
    );

    expect(cancelled.data.cancelRun.status).toBe('CANCELLED');
    expect(await queue.getJob(id)).toBeUndefined();
    expect(again.data.cancelRun).toEqual(cancelled.data.cancelRun);
  });

  it('retries a finished run as a new run with the same version, profile and seed; refuses an unfinished one', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);
    const submitted = await harness.gql<Submitted>(token, submitRun, {
      input: { scenarioId, overrides: { seed: '5' } },
    });
    const id = submitted.data.submitRun.run.id;

    const tooEarly = await harness.gql(token, 'mutation($id: UUID!) { retryRun(id: $id) { id } }', { id });
    await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { id } }', { id });
    const retried = await harness.gql<{ retryRun: { id: string; status: string; seed: string; profile: string } }>(
      token,
      'mutation($id: UUID!) { retryRun(id: $id) { id status seed profile } }',
      { id },
    );

    expect(tooEarly.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(retried.data.retryRun).toMatchObject({ status: 'QUEUED', seed: '5', profile: 'v7.2' });
    expect(retried.data.retryRun.id).not.toBe(id);
  });

  it('pages through runs without duplicates or gaps while new runs are inserted', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);
    for (let i = 0; i < 7; i++) await harness.gql(token, submitRun, { input: { scenarioId } });
    const before = await harness.gql<{ runs: { edges: Array<{ node: { id: string } }> } }>(
      token,
      '{ runs(first: 100) { edges { node { id } } } }',
    );

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: {
        data: {
          runs: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
        };
      } = await harness.gql(
        token,
        'query($after: String) { runs(first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      seen.push(...page.data.runs.edges.map((e) => e.node.id));
      await harness.gql(token, submitRun, { input: { scenarioId } }); // a concurrent writer adds a newer run between pages
      if (!page.data.runs.pageInfo.hasNextPage) break;
      after = page.data.runs.pageInfo.endCursor;
    }

    expect(seen).toEqual(before.data.runs.edges.map((e) => e.node.id));
  });

  it('filters runs by status and profile and rejects a forged cursor', async () => {
    const { token } = await harness.newTeam();
    const scenarioId = await scenarioFor(token);
    await harness.gql(token, submitRun, { input: { scenarioId, overrides: { profile: 'lb' } } });
    const second = await harness.gql<Submitted>(token, submitRun, { input: { scenarioId } });
    await harness.gql(token, 'mutation($id: UUID!) { cancelRun(id: $id) { id } }', {
      id: second.data.submitRun.run.id,
    });

    const cancelled = await harness.gql<{ runs: { totalCount: number } }>(
      token,
      '{ runs(filter: { status: [CANCELLED] }) { totalCount } }',
    );
    const lb = await harness.gql<{ runs: { totalCount: number } }>(
      token,
      '{ runs(filter: { profile: "lb" }) { totalCount } }',
    );
    const forged = await harness.gql(token, '{ runs(after: "not-a-cursor") { totalCount } }');

    expect(cancelled.data.runs.totalCount).toBe(1);
    expect(lb.data.runs.totalCount).toBe(1);
    expect(forged.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("answers another team's run and scenario ids exactly like missing ones", async () => {
    const a = await harness.newTeam();
    const b = await harness.newTeam();
    const bScenario = await scenarioFor(b.token);
    const bRun = (await harness.gql<Submitted>(b.token, submitRun, { input: { scenarioId: bScenario } })).data.submitRun
      .run.id;

    const read = await harness.gql<{ run: unknown }>(a.token, 'query($id: UUID!) { run(id: $id) { id } }', {
      id: bRun,
    });
    const readScenario = await harness.gql<{ scenario: unknown }>(
      a.token,
      'query($id: UUID!) { scenario(id: $id) { id } }',
      { id: bScenario },
    );
    const submit = await harness.gql(a.token, submitRun, { input: { scenarioId: bScenario } });
    const cancel = await harness.gql(a.token, 'mutation($id: UUID!) { cancelRun(id: $id) { id } }', { id: bRun });
    const retry = await harness.gql(a.token, 'mutation($id: UUID!) { retryRun(id: $id) { id } }', { id: bRun });
    const report = await harness.gql(a.token, 'query($id: UUID!) { report(runId: $id) }', { id: bRun });
    const list = await harness.gql<{ runs: { totalCount: number } }>(a.token, '{ runs { totalCount } }');
    const bRunAfter = await harness.gql<{ run: { status: string } }>(
      b.token,
      'query($id: UUID!) { run(id: $id) { status } }',
      { id: bRun },
    );

    // One convention for every id: queries and mutations alike answer NOT_FOUND (data null).
    expect(read.data.run).toBeNull();
    expect(readScenario.data.scenario).toBeNull();
    for (const attempt of [read, readScenario, submit, cancel, retry, report])
      expect(attempt.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(list.data.runs.totalCount).toBe(0);
    expect(bRunAfter.data.run.status).toBe('QUEUED');
  });
});
