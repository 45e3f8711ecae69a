import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { RegressionQueueName } from '../../../src/modules/regression/regression.queue';
import { QueueName } from '../../../src/modules/run/run.queue';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';

// Schedule limits (issue 20, item 12) with the default minimum interval (5 minutes) and a cap of 3
// queued runs per team. No worker runs in this file, so submitted runs stay QUEUED and count.
const examples = path.join(__dirname, '..', '..', '..', 'examples');
const s04 = readFileSync(path.join(examples, 's04-hyperv-snp-confidential-storvsc.yaml'), 'utf8');
const twoEntries = [
  { name: 'accepted', profile: 'lb', overlays: [{ name: 'device-cc-accepted' }] },
  { name: 'plain', profile: 'lb', overlays: [] },
];

describe('schedule limits', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApiHarness({ TEAM_MAX_QUEUED_RUNS: '3' });
  });

  afterAll(async () => {
    for (const name of [QueueName.runs, ...Object.values(RegressionQueueName)]) {
      const queue = new Queue(name, {
        connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
        prefix: process.env['BULLMQ_PREFIX']!,
      });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await harness.stop();
  });

  async function teamWithSuite(): Promise<{ token: string; teamId: string; suiteId: string }> {
    const { token, teamId } = await harness.newTeam('limits');
    const scenario = await harness.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec: s04 },
    );
    const suite = await harness.gql<{ createSuite: { suite: { id: string } } }>(
      token,
      'mutation($input: SuiteInput!) { createSuite(input: $input) { ... on SuiteSaved { suite { id } } } }',
      { input: { name: 'nightly', scenarioIds: [scenario.data.createScenario.scenario.id], entries: twoEntries } },
    );
    return { token, teamId, suiteId: suite.data.createSuite.suite.id };
  }

  const createSchedule = (token: string, suiteId: string, name: string, cron: string) =>
    harness.gql<{
      createSchedule: {
        __typename: string;
        schedule?: { id: string };
        userErrors?: Array<{ path: string[]; code: string; message: string }>;
      };
    }>(
      token,
      'mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename ... on ScheduleSaved { schedule { id } } ... on InputRejected { userErrors { path code message } } } }',
      { input: { suiteId, name, cron, paused: true } },
    );

  it('rejects cron expressions that fire more often than every 5 minutes, naming the field and the minimum', async () => {
    const { token, suiteId } = await teamWithSuite();
    const tooFrequent = ['* * * * * *', '*/30 * * * * *', '* * * * *', '*/4 * * * *', '0,1 * * * *', '0 58,59 * * * *'];

    const answers = await Promise.all(tooFrequent.map((cron, i) => createSchedule(token, suiteId, `s${i}`, cron)));
    const fine = await createSchedule(token, suiteId, 'every-five', '*/5 * * * *');
    const update = await harness.gql<{ updateSchedule: { __typename: string; userErrors: Array<{ code: string }> } }>(
      token,
      'mutation($id: UUID!) { updateSchedule(id: $id, input: { cron: "*/2 * * * *" }) { __typename ... on InputRejected { userErrors { code } } } }',
      { id: fine.data.createSchedule.schedule?.id },
    );

    for (const [i, answer] of answers.entries())
      expect([tooFrequent[i], answer.data.createSchedule]).toEqual([
        tooFrequent[i],
        {
          __typename: 'InputRejected',
          userErrors: [
            { path: ['input', 'cron'], code: 'SCHEDULE_TOO_FREQUENT', message: expect.stringContaining('5 min') },
          ],
        },
      ]);
    expect(fine.data.createSchedule.__typename).toBe('ScheduleSaved');
    expect(update.data.updateSchedule).toEqual({
      __typename: 'InputRejected',
      userErrors: [{ code: 'SCHEDULE_TOO_FREQUENT' }],
    });
  });

  it("refuses a suite batch beyond the team's queued-run cap, and skips a schedule firing with QUEUE_FULL recorded", async () => {
    const { token, suiteId } = await teamWithSuite();
    const other = await teamWithSuite();
    const runSuite = (bearer: string, id: string) =>
      harness.gql<{
        runSuite: { __typename: string; userErrors?: Array<{ path: string[]; code: string; message: string }> };
      }>(
        bearer,
        'mutation($id: UUID!) { runSuite(input: { suiteId: $id }) { __typename ... on InputRejected { userErrors { path code message } } } }',
        { id },
      );
    const schedule = await createSchedule(token, suiteId, 'hourly', '0 * * * *');
    const scheduleId = schedule.data.createSchedule.schedule!.id;

    const first = await runSuite(token, suiteId); // 2 queued runs
    const second = await runSuite(token, suiteId); // 2 + 2 > 3
    const fired = await harness.gql<{ runScheduleNow: { skipped: boolean; skipReason: string | null; batch: null } }>(
      token,
      'mutation($id: UUID!) { runScheduleNow(id: $id) { ... on ScheduleRan { skipped skipReason batch { id } } } }',
      { id: scheduleId },
    );
    const recorded = await harness.gql<{
      schedule: { lastSkipReason: string; lastSkippedAt: string | null; lastFiredAt: string | null };
    }>(token, 'query($id: UUID!) { schedule(id: $id) { lastSkipReason lastSkippedAt lastFiredAt } }', {
      id: scheduleId,
    });
    const otherTeam = await runSuite(other.token, other.suiteId);

    expect(first.data.runSuite.__typename).toBe('SuiteBatchSubmitted');
    expect(second.data.runSuite).toEqual({
      __typename: 'InputRejected',
      userErrors: [{ path: ['input', 'suiteId'], code: 'QUEUE_FULL', message: expect.stringContaining('at most 3') }],
    });
    expect(fired.data.runScheduleNow).toEqual({ skipped: true, skipReason: 'QUEUE_FULL', batch: null });
    expect(recorded.data.schedule).toMatchObject({ lastSkipReason: 'QUEUE_FULL', lastFiredAt: null });
    expect(recorded.data.schedule.lastSkippedAt).not.toBeNull();
    expect(otherTeam.data.runSuite.__typename).toBe('SuiteBatchSubmitted');
  });

  it('refuses submitRun and submitMatrix beyond the cap with QUEUE_FULL, and keeps idempotent resubmits working', async () => {
    const { token } = await harness.newTeam('capped');
    const scenario = await harness.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec: s04 },
    );
    const scenarioId = scenario.data.createScenario.scenario.id;
    type Answer = { __typename: string; userErrors?: Array<{ path: string[]; code: string; message: string }> };
    const submitRun = (key: string) =>
      harness.gql<{ submitRun: Answer & { created?: boolean } }>(
        token,
        'mutation($input: SubmitRunInput!) { submitRun(input: $input) { __typename ... on RunSubmitted { created } ... on InputRejected { userErrors { path code message } } } }',
        { input: { scenarioId, idempotencyKey: key } },
      );
    const submitMatrix = () =>
      harness.gql<{ submitMatrix: Answer }>(
        token,
        'mutation($input: SubmitMatrixInput!) { submitMatrix(input: $input) { __typename ... on InputRejected { userErrors { path code message } } } }',
        { input: { scenarioId, entries: [{ profile: 'lb' }, { profile: 'la-phys' }] } },
      );

    const matrix = await submitMatrix(); // 2 queued
    const third = await submitRun('cap-3'); // 3 queued: at the cap
    const fourth = await submitRun('cap-4');
    const again = await submitRun('cap-3'); // the same submission: the existing run, not a new one
    const secondMatrix = await submitMatrix();

    expect(matrix.data.submitMatrix.__typename).toBe('MatrixSubmitted');
    expect(third.data.submitRun).toMatchObject({ __typename: 'RunSubmitted', created: true });
    expect(fourth.data.submitRun).toEqual({
      __typename: 'InputRejected',
      userErrors: [{ path: ['input'], code: 'QUEUE_FULL', message: expect.stringContaining('at most 3') }],
    });
    expect(again.data.submitRun).toMatchObject({ __typename: 'RunSubmitted', created: false });
    expect(secondMatrix.data.submitMatrix).toEqual({
      __typename: 'InputRejected',
      userErrors: [{ path: ['input', 'entries'], code: 'QUEUE_FULL', message: expect.stringContaining('at most 3') }],
    });
  });

  it('skips a cron firing that comes sooner than the minimum interval after the last one', async () => {
    const { token, suiteId } = await teamWithSuite();
    const schedule = await createSchedule(token, suiteId, 'daily', '0 3 * * *');
    const scheduleId = schedule.data.createSchedule.schedule!.id;
    await harness.gql<{ runScheduleNow: { skipped: boolean } }>(
      token,
      'mutation($id: UUID!) { runScheduleNow(id: $id) { ... on ScheduleRan { skipped } } }',
      { id: scheduleId },
    );
    await harness.gql(token, 'mutation($id: UUID!) { resumeSchedule(id: $id) { __typename } }', { id: scheduleId });

    const fired = await harness.api.services.schedules.fireSchedule(scheduleId);
    const recorded = await harness.gql<{ schedule: { lastSkipReason: string } }>(
      token,
      'query($id: UUID!) { schedule(id: $id) { lastSkipReason } }',
      { id: scheduleId },
    );

    expect(fired).toEqual({ batchId: null, skipped: true, skipReason: 'MIN_INTERVAL' });
    expect(recorded.data.schedule.lastSkipReason).toBe('MIN_INTERVAL');
  });
});
