import { readFileSync } from 'node:fs';
import path from 'node:path';
import { print } from 'graphql';
import pino from 'pino';
import { runCli } from '../../../src/cli/main';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { memoryIo } from '../../support/memory-io';
import { PatchReviewDocument } from '../../../web/src/api/generated/graphql';
import { obliterate } from '../workers/pipeline-support';

// GraphQL reviewPatch / patchReview: the review runs through the queue (a worker started in this
// process executes the runs) and must give the answer `dmasim review` gives for the same input.
// Expected counts (S19 at --operations 2000, as test/unit/cli/review.test.ts derives them): on
// v7.2, vTOM makes x86 set SWIOTLB_FORCE, so every storvsc map bounces (rule A4): V1 critical ×2,
// V1 high (stale), V6 (no scrub) — four exposures. `posted` changes is_swiotlb_active(),
// is_swiotlb_for_alloc() and dma_direct_use_pool() only: all four are left, and switching on
// force-bounce-off or bounce-unaccepted alone removes them. `aneesh` includes force-bounce-off: all
// four are fixed and the bounce copies' modelled time goes away.
jest.setTimeout(180_000);

const examples = path.join(__dirname, '..', '..', '..', 'examples');
const s19File = path.join(examples, 's19-hyperv-snp-posted-vs-full.yaml');
const operations = 2000;

const reviewFields = `id base patched operations source status progress { total finished } runBatchIds skipped { scenario reason }
  scenarios { scenario scenarioId baseVerdict patchedVerdict affected verdict
    fixed { class severity deviceId dataClass bytesExposed rule path hunksNeeded }
    left { class severity deviceId dataClass bytesExposed count rule path hunksNeeded }
    newExposures { class deviceId } newFailures { class deviceId count kernelLogLine }
    memory { key base patched delta deltaText } time { key base patched delta deltaText } }
  total { scenarios unaffected fixed left newExposures newFailedOperations verdict memory { key delta deltaText } time { delta deltaText } }
  markdown`;

interface ReviewView {
  id: string;
  status: string;
  operations: number | null;
  source: string;
  progress: { total: number; finished: number };
  runBatchIds: string[];
  skipped: Array<{ scenario: string; reason: string }>;
  scenarios: Array<{
    scenario: string;
    scenarioId: string;
    baseVerdict: string;
    patchedVerdict: string;
    verdict: string;
    fixed: Array<{ class: string; bytesExposed: string }>;
    left: Array<{ class: string; severity: string; dataClass: string; rule: string; hunksNeeded: string[] }>;
    newFailures: unknown[];
    time: { delta: number | null; deltaText: string };
  }> | null;
  total: {
    scenarios: number;
    unaffected: number;
    fixed: number;
    left: number;
    newExposures: number;
    newFailedOperations: string;
    verdict: string;
  } | null;
  markdown: string | null;
}

type SubmitResult = {
  reviewPatch: {
    __typename: string;
    review?: { id: string; status: string; progress: { total: number; finished: number }; runBatchIds: string[] };
    userErrors?: Array<{ path: string[]; message: string; code: string }>;
  };
};

const submitMutation = `mutation($input: ReviewPatchInput!) { reviewPatch(input: $input) {
  __typename
  ... on PatchReviewSubmitted { review { id status progress { total finished } runBatchIds } }
  ... on InputRejected { userErrors { path message code } } } }`;

async function cliReview(args: string[]): Promise<string> {
  const io = memoryIo();
  const code = await runCli(['review', ...args], io);
  expect(io.err()).toBe('');
  expect(code).toBe(0);
  return io.out();
}

describe('reviewPatch over GraphQL', () => {
  let harness: ApiHarness;
  let stopWorker: () => Promise<void>;
  let token: string;
  let s19Id: string;

  async function createScenario(bearer: string, spec: string): Promise<string> {
    const created = await harness.gql<{ createScenario: { scenario?: { id: string } } }>(
      bearer,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec },
    );
    const id = created.data.createScenario.scenario?.id;
    if (!id) throw new Error(`createScenario failed: ${JSON.stringify(created)}`);
    return id;
  }

  async function submit(bearer: string, input: Record<string, unknown>) {
    return harness.gql<SubmitResult>(bearer, submitMutation, { input });
  }

  async function waitForReview(bearer: string, id: string, timeoutMs = 150_000): Promise<ReviewView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await harness
        .gql<{ patchReview: ReviewView }>(bearer, `query($id: UUID!) { patchReview(id: $id) { ${reviewFields} } }`, {
          id,
        })
        .catch(() => undefined);
      expect(response?.errors).toBeUndefined();
      const review = response?.data.patchReview;
      if (review && !['QUEUED', 'RUNNING'].includes(review.status)) return review;
      if (Date.now() > deadline) throw new Error(`review ${id} did not finish: ${JSON.stringify(review)}`);
      // Pending: no review yet, only progress.
      if (review) expect(review.scenarios).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  beforeAll(async () => {
    harness = await startApiHarness();
    const handle = await startWorkerProcess(
      parseConfig({ ...process.env, WORKER_CONCURRENCY: '2' }),
      pino({ level: 'silent' }),
    );
    stopWorker = () => handle.stop();
    token = (await harness.newTeam('review')).token;
    s19Id = await createScenario(token, readFileSync(s19File, 'utf8'));
  });

  afterAll(async () => {
    await stopWorker();
    await obliterate();
    await harness.stop();
  });

  it('posted on v7.2: the same answer as dmasim review (left 4, fixed 0), and the same Markdown', async () => {
    const patched = 'v7.2+device-cc-accepted:posted';
    const submitted = await submit(token, { scenarioIds: [s19Id], base: 'v7.2', patched, operations });
    expect(submitted.errors).toBeUndefined();
    const review = submitted.data.reviewPatch.review;
    expect(submitted.data.reviewPatch.__typename).toBe('PatchReviewSubmitted');
    // base + patched + one probe per device-cc-accepted hunk `posted` leaves off (7 hunks, 3 on).
    expect(review?.progress).toEqual({ total: 2 + 4, finished: 0 });
    expect(review?.runBatchIds).toHaveLength(1);

    const done = await waitForReview(token, review!.id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.operations).toBe(operations);
    expect(done.source).toBe('SCENARIOS');
    expect(done.progress).toEqual({ total: 6, finished: 6 });
    expect(done.total).toMatchObject({ scenarios: 1, unaffected: 0, fixed: 0, left: 4, newExposures: 0 });
    expect(done.total?.newFailedOperations).toBe('0');
    const [s19] = done.scenarios ?? [];
    expect(s19?.scenario).toBe('s19-hyperv-snp-posted-vs-full');
    expect(s19?.scenarioId).toBe(s19Id);
    expect(s19?.baseVerdict).toBe('EXPOSES_SECRETS');
    expect(s19?.patchedVerdict).toBe('EXPOSES_SECRETS');
    expect(s19?.left.map((e) => `${e.class} ${e.severity} ${e.dataClass} ${e.rule}`).sort()).toEqual([
      'V1 critical secret A4',
      'V1 critical secret A4',
      'V1 high stale A4',
      'V6 info secret A4',
    ]);
    // The probe runs name the missing hunk, exactly as the CLI's local probes do.
    for (const e of s19?.left ?? []) expect(e.hunksNeeded).toEqual(['force-bounce-off', 'bounce-unaccepted']);
    expect(s19?.verdict).toBe(
      'leaves the V1/V6 leak for storvsc0 (rule A4; needs force-bounce-off or bounce-unaccepted)',
    );
    expect(s19?.time).toEqual(expect.objectContaining({ delta: 0, deltaText: '±0' }));

    // The CLI on the same spec and input; it names the scenario by its file, the API by its name.
    const md = await cliReview([
      s19File,
      '--base',
      'v7.2',
      '--patched',
      patched,
      '--operations',
      String(operations),
      '--md',
    ]);
    expect(done.markdown).toBe(md.split(s19File).join('s19-hyperv-snp-posted-vs-full'));
    expect(done.markdown).toContain('removed by `force-bounce-off` or `bounce-unaccepted`');

    // The dashboard's query of a whole review stays within the API's query limits (depth, cost).
    const dashboard = await harness.gql<{ patchReview: { markdown: string } }>(token, print(PatchReviewDocument), {
      id: done.id,
    });
    expect(dashboard.errors).toBeUndefined();
    expect(dashboard.data.patchReview.markdown).toBe(done.markdown);

    // The runs went through the queue as one matrix batch, each capped like `--operations 2000`.
    const batch = await harness.gql<{
      runBatch: { runs: Array<{ profile: string; operationsCap: number; summary: { operations: string } }> };
    }>(token, 'query($id: UUID!) { runBatch(id: $id) { runs { profile operationsCap summary { operations } } } }', {
      id: done.runBatchIds[0],
    });
    expect(batch.data.runBatch.runs.map((r) => [r.operationsCap, r.summary.operations])).toEqual(
      Array.from({ length: 6 }, () => [operations, String(operations)]),
    );
  });

  it('the full aneesh variant fixes all four (fixed > 0, nothing left) and saves the bounce time', async () => {
    const submitted = await submit(token, {
      scenarioIds: [s19Id],
      base: 'v7.2',
      patched: 'v7.2+device-cc-accepted:aneesh',
      operations,
    });
    // aneesh has 5 of the 7 hunks: two probes.
    expect(submitted.data.reviewPatch.review?.progress.total).toBe(4);
    const done = await waitForReview(token, submitted.data.reviewPatch.review!.id);
    expect(done.total).toMatchObject({ fixed: 4, left: 0, newExposures: 0, verdict: 'fixes the leak for storvsc0' });
    const [s19] = done.scenarios ?? [];
    expect(s19?.patchedVerdict).toBe('CLEAN');
    expect(s19?.fixed).toHaveLength(4);
    expect(s19?.time.delta).toBeLessThan(0);
    const cli = JSON.parse(
      await cliReview([
        s19File,
        '--base',
        'v7.2',
        '--patched',
        'v7.2+device-cc-accepted:aneesh',
        '--operations',
        String(operations),
        '--json',
      ]),
    ) as { scenarios: Array<{ time: { delta: number }; fixed: Array<{ bytesExposed: number }> }> };
    expect(s19?.time.delta).toBe(cli.scenarios[0]?.time.delta);
    expect(s19?.fixed.map((f) => Number(f.bytesExposed)).sort()).toEqual(
      cli.scenarios[0]?.fixed.map((f) => f.bytesExposed).sort(),
    );
  });

  it('is scoped to the team: another team gets NOT_FOUND for the scenario and the review', async () => {
    const other = await harness.newTeam('other');
    const attempt = await submit(other.token, { scenarioIds: [s19Id], base: 'v7.2', patched: 'lb' });
    expect(attempt.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const mine = await submit(token, { scenarioIds: [s19Id], base: 'v7.2', patched: 'lb', operations: 100 });
    const id = mine.data.reviewPatch.review!.id;
    const read = await harness.gql(other.token, 'query($id: UUID!) { patchReview(id: $id) { id } }', { id });
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const suite = await harness.gql(
      other.token,
      'mutation($input: ReviewPatchInput!) { reviewPatch(input: $input) { __typename } }',
      { input: { suiteId: '00000000-0000-4000-8000-000000000000', base: 'v7.2', patched: 'lb' } },
    );
    expect(suite.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('rejects a bad kernel entry with BAD_USER_INPUT naming it, and queues nothing', async () => {
    const runCount = async (): Promise<number> =>
      (await harness.gql<{ runs: { totalCount: number } }>(token, '{ runs { totalCount } }')).data.runs.totalCount;
    const before = await runCount();
    const bad = await submit(token, {
      scenarioIds: [s19Id],
      base: 'v7.2',
      patched: 'v7.2+device-cc-accepted:nope',
    });
    expect(bad.data.reviewPatch.__typename).toBe('InputRejected');
    expect(bad.data.reviewPatch.userErrors).toEqual([
      {
        path: ['input', 'patched'],
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining(
          "patched 'v7.2+device-cc-accepted:nope': unknown variant 'nope' of device-cc-accepted",
        ),
      },
    ]);
    const profile = await submit(token, { scenarioIds: [s19Id], base: 'v9', patched: 'lb' });
    expect(profile.data.reviewPatch.userErrors?.[0]).toMatchObject({ path: ['input', 'base'], code: 'BAD_USER_INPUT' });
    const both = await submit(token, { scenarioIds: [s19Id], examples: true, base: 'v7.2', patched: 'lb' });
    expect(both.data.reviewPatch.userErrors?.[0]?.code).toBe('INVALID_TARGET');
    expect(await runCount()).toBe(before);
  });

  it('respects the team queued-run cap (QUEUE_FULL)', async () => {
    // A second API with a cap of 5 queued runs; the review needs 6 (base, patched, four probes).
    const capped = await startApiHarness({ TEAM_MAX_QUEUED_RUNS: '5' });
    try {
      const team = await capped.newTeam('capped');
      const created = await capped.gql<{ createScenario: { scenario: { id: string } } }>(
        team.token,
        'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
        { spec: readFileSync(s19File, 'utf8') },
      );
      const full = await capped.gql<SubmitResult>(team.token, submitMutation, {
        input: {
          scenarioIds: [created.data.createScenario.scenario.id],
          base: 'v7.2',
          patched: 'v7.2+device-cc-accepted:posted',
        },
      });
      expect(full.data.reviewPatch.userErrors?.[0]).toMatchObject({ code: 'QUEUE_FULL' });
      expect(full.data.reviewPatch.userErrors?.[0]?.message).toContain('this review adds 6');
    } finally {
      await capped.stop();
    }
  });

  it('reviews the bundled examples with the totals dmasim review --examples gives', async () => {
    const team = await harness.newTeam('examples');
    const args = { base: 'v7.2', patched: 'v7.2+device-cc-accepted:posted', operations: 200 };
    const submitted = await submit(team.token, { examples: true, ...args });
    expect(submitted.errors).toBeUndefined();
    const done = await waitForReview(team.token, submitted.data.reviewPatch.review!.id);
    const cli = JSON.parse(
      await cliReview([
        '--examples',
        '--base',
        args.base,
        '--patched',
        args.patched,
        '--operations',
        String(args.operations),
        '--json',
      ]),
    ) as {
      skipped: unknown[];
      total: {
        scenarios: number;
        unaffected: number;
        fixed: number;
        left: number;
        newExposures: number;
        verdict: string;
      };
    };
    expect(done.source).toBe('EXAMPLES');
    expect(done.skipped).toHaveLength(cli.skipped.length);
    const { scenarios, unaffected, fixed, left, newExposures, verdict } = cli.total;
    expect(done.total).toMatchObject({ scenarios, unaffected, fixed, left, newExposures, verdict });
    // A second review of the examples reuses the team's example scenarios (no duplicates, nothing skipped).
    const again = await submit(team.token, { examples: true, ...args, patched: 'v7.2' });
    expect(again.data.reviewPatch.review?.runBatchIds).toHaveLength(scenarios);
  });
});
