import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import pino from 'pino';
import { Queue } from 'bullmq';
import { ciCommand, CiExitCode } from '../../../src/cli/commands/ci.command';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { RegressionQueueName } from '../../../src/modules/regression/regression.queue';
import { verifyWebhookSignature, webhookHeaders } from '../../../src/modules/regression/webhook-signature';
import { QueueName } from '../../../src/modules/run/run.queue';
import { createDatabase } from '../../../src/platform/db';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { memoryIo } from '../../support/memory-io';
import { assertSarif210, assertWellFormedXml } from '../../unit/regression/export-validators';

// Regression runs end to end: GraphQL → suite batch (one matrix per scenario through the run
// service) → BullMQ run worker (real Redis, this file's prefix, built sandboxed processor) → batch
// completion job → comparison with the baseline in PostgreSQL → GraphQL, /export routes, webhooks
// and `dmasim ci`. S4 (Confidential VMBus storvsc on Hyper-V SNP) is clean on lb with the
// device-cc-accepted overlay and exposes secrets (V1 critical) on plain lb.
const examples = path.join(__dirname, '..', '..', '..', 'examples');
const s04 = readFileSync(path.join(examples, 's04-hyperv-snp-confidential-storvsc.yaml'), 'utf8').replace(
  /operations: \d+/,
  'operations: 2000',
);
const webhookSecretKey = randomBytes(32).toString('hex');
const accepted = { name: 'kernel', profile: 'lb', overlays: [{ name: 'device-cc-accepted' }] };
const plainLb = { name: 'kernel', profile: 'lb', overlays: [] };

interface BatchView {
  id: string;
  status: string;
  runsFinished: number;
  runsTotal: number;
  comparison: null | {
    verdict: string;
    baselineBatchId: string | null;
    counts: {
      new: number;
      fixed: number;
      persisting: number;
      reopened: number;
      waived: number;
      thresholdBreaches: number;
    };
    entries: Array<{
      verdict: string;
      verdictLevels: string[];
      baselineVerdictLevels: string[] | null;
      reasons: string[];
      profile: string;
      baselineProfile: string | null;
      findings: Array<{
        fingerprint: string;
        change: string;
        class: string;
        severity: string;
        waived: boolean;
        counts: boolean;
      }>;
    }>;
  };
}

const batchFields =
  'id status runsFinished runsTotal comparison { verdict baselineBatchId counts { new fixed persisting reopened waived thresholdBreaches } entries { verdict verdictLevels baselineVerdictLevels reasons profile baselineProfile findings { fingerprint change class severity waived counts } } }';

describe('regression runs', () => {
  let harness: ApiHarness;
  let stopWorker: () => Promise<void>;

  // The receivers of this file listen on 127.0.0.1, which the webhook policy refuses unless an
  // operator allows it; schedules may fire every second here; stored webhook secrets are encrypted.
  const settings = {
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_SECRET_KEY: webhookSecretKey,
    SCHEDULE_MIN_INTERVAL_SECONDS: '1',
  };

  beforeAll(async () => {
    harness = await startApiHarness(settings);
    stopWorker = (
      await startWorkerProcess(
        parseConfig({ ...process.env, WORKER_CONCURRENCY: '4', ...settings }),
        pino({ level: 'silent' }),
      )
    ).stop;
  });

  afterAll(async () => {
    await stopWorker();
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

  async function createScenario(token: string, spec = s04): Promise<string> {
    const created = await harness.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec },
    );
    return created.data.createScenario.scenario.id;
  }

  async function createSuite(
    token: string,
    scenarioId: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ id: string; name: string }> {
    const name = `suite-${Math.random().toString(36).slice(2, 8)}`;
    const response = await harness.gql<{ createSuite: { __typename: string; suite: { id: string; name: string } } }>(
      token,
      'mutation($input: SuiteInput!) { createSuite(input: $input) { __typename ... on SuiteSaved { suite { id name } } ... on InputRejected { userErrors { path message code } } } }',
      { input: { name, scenarioIds: [scenarioId], entries: [accepted], ...extra } },
    );
    expect(response.data.createSuite.__typename).toBe('SuiteSaved');
    return response.data.createSuite.suite;
  }

  async function updateSuite(
    token: string,
    suite: { id: string; name: string },
    scenarioId: string,
    extra: Record<string, unknown>,
  ): Promise<void> {
    const response = await harness.gql<{ updateSuite: { __typename: string } }>(
      token,
      'mutation($id: UUID!, $input: SuiteInput!) { updateSuite(id: $id, input: $input) { __typename } }',
      {
        id: suite.id,
        input: { name: suite.name, scenarioIds: [scenarioId], entries: [accepted], ...extra },
      },
    );
    expect(response.data.updateSuite.__typename).toBe('SuiteSaved');
  }

  async function runSuite(token: string, suiteId: string): Promise<string> {
    const response = await harness.gql<{ runSuite: { batch: { id: string } } }>(
      token,
      'mutation($id: UUID!) { runSuite(input: { suiteId: $id }) { ... on SuiteBatchSubmitted { batch { id } } } }',
      { id: suiteId },
    );
    return response.data.runSuite.batch.id;
  }

  async function waitForComparison(token: string, batchId: string): Promise<BatchView> {
    for (let i = 0; i < 160; i++) {
      const response = await harness.gql<{ suiteBatch: BatchView }>(
        token,
        `query($id: UUID!) { suiteBatch(id: $id) { ${batchFields} } }`,
        { id: batchId },
      );
      if (response.data.suiteBatch.comparison) return response.data.suiteBatch;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`batch ${batchId} was not compared`);
  }

  async function acceptBaseline(token: string, batchId: string): Promise<void> {
    const response = await harness.gql<{ acceptBaseline: { __typename: string } }>(
      token,
      'mutation($id: UUID!) { acceptBaseline(batchId: $id) { __typename } }',
      { id: batchId },
    );
    expect(response.data.acceptBaseline.__typename).toBe('BaselineAccepted');
  }

  async function waive(token: string, fingerprint: string, expiresAt?: Date): Promise<void> {
    const response = await harness.gql<{ waiveViolation: { __typename: string } }>(
      token,
      'mutation($input: WaiveViolationInput!) { waiveViolation(input: $input) { __typename } }',
      {
        input: {
          fingerprint,
          reason: 'tracked upstream',
          owner: 'alice',
          ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
        },
      },
    );
    expect(response.data.waiveViolation.__typename).toBe('Triage');
  }

  /** A team with a suite whose accepted baseline is clean (lb + device-cc-accepted). */
  async function teamWithCleanBaseline(extra: Record<string, unknown> = {}) {
    const { token } = await harness.newTeam('regress');
    const scenarioId = await createScenario(token);
    const suite = await createSuite(token, scenarioId, extra);
    const first = await waitForComparison(token, await runSuite(token, suite.id));
    await acceptBaseline(token, first.id);
    return { token, scenarioId, suite, first };
  }

  describe('comparison with a baseline', () => {
    it('marks the first batch NOT_COMPARABLE (no baseline), then flags a kernel change that exposes secrets as REGRESSED with NEW violations', async () => {
      const { token, scenarioId, suite, first } = await teamWithCleanBaseline();
      await updateSuite(token, suite, scenarioId, { entries: [plainLb] });

      const second = await waitForComparison(token, await runSuite(token, suite.id));

      expect(first.comparison).toMatchObject({
        verdict: 'NOT_COMPARABLE',
        baselineBatchId: null,
        entries: [{ reasons: ['NO_BASELINE'] }],
      });
      expect(second.status).toBe('SUCCEEDED');
      expect(second.comparison?.verdict).toBe('REGRESSED');
      expect(second.comparison?.baselineBatchId).toBe(first.id);
      expect(
        second.comparison?.entries[0]?.findings.filter(
          (f) => f.change === 'NEW' && f.class === 'V1' && f.severity === 'critical' && f.counts,
        ),
      ).not.toHaveLength(0);
      expect(second.comparison?.counts.new).toBe(second.comparison?.entries[0]?.findings.length);
      // Each entry carries its runs' verdict levels, worst first: the clean baseline's, then the leak's.
      expect(first.comparison?.entries[0]?.baselineVerdictLevels).toBeNull();
      expect(first.comparison?.entries[0]?.verdictLevels).not.toContain('EXPOSES_SECRETS');
      expect(first.comparison?.entries[0]?.verdictLevels.length).toBeGreaterThan(0);
      expect(second.comparison?.entries[0]?.verdictLevels[0]).toBe('EXPOSES_SECRETS');
      expect(second.comparison?.entries[0]?.baselineVerdictLevels).toEqual(first.comparison?.entries[0]?.verdictLevels);
    });

    it('flags the fix as FIXED and IMPROVED once the regressed batch is the baseline', async () => {
      const { token, scenarioId, suite } = await teamWithCleanBaseline();
      await updateSuite(token, suite, scenarioId, { entries: [plainLb] });
      const regressed = await waitForComparison(token, await runSuite(token, suite.id));
      await acceptBaseline(token, regressed.id);
      await updateSuite(token, suite, scenarioId, { entries: [accepted] });

      const fixed = await waitForComparison(token, await runSuite(token, suite.id));

      expect(fixed.comparison?.verdict).toBe('IMPROVED');
      expect(new Set(fixed.comparison?.entries[0]?.findings.map((f) => f.change))).toEqual(new Set(['FIXED']));
    });

    it('passes when every new finding is waived, and fails again once the waivers have expired', async () => {
      const { token, scenarioId, suite } = await teamWithCleanBaseline();
      await updateSuite(token, suite, scenarioId, { entries: [plainLb] });
      const regressed = await waitForComparison(token, await runSuite(token, suite.id));
      const fingerprints = regressed.comparison!.entries[0]!.findings.map((f) => f.fingerprint);
      const expiresAt = new Date(Date.now() + 3000);
      for (const fingerprint of fingerprints) await waive(token, fingerprint, expiresAt);

      const waived = await waitForComparison(token, await runSuite(token, suite.id));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now() + 100)));
      const expired = await waitForComparison(token, await runSuite(token, suite.id));

      expect(waived.comparison?.verdict).toBe('PASS');
      expect(waived.comparison?.entries[0]?.findings.every((f) => f.waived && !f.counts)).toBe(true);
      expect(expired.comparison?.verdict).toBe('REGRESSED');
      expect(expired.comparison?.entries[0]?.findings.every((f) => !f.waived && f.counts)).toBe(true);
    });

    it('marks a batch NOT_COMPARABLE when the scenario spec changed beyond its kernel section', async () => {
      const { token, scenarioId, suite } = await teamWithCleanBaseline();
      await harness.gql(
        token,
        'mutation($input: UpdateScenarioInput!) { updateScenario(input: $input) { __typename } }',
        { input: { id: scenarioId, spec: s04.replace('memoryMiB: 16384', 'memoryMiB: 8192') } },
      );

      const changed = await waitForComparison(token, await runSuite(token, suite.id));

      expect(changed.comparison?.verdict).toBe('NOT_COMPARABLE');
      expect(changed.comparison?.entries[0]?.reasons[0]).toMatch(/^SPEC_DIFFERS/);
    });

    it('flags a SWIOTLB hiwater threshold breach', async () => {
      const { token, scenarioId, suite } = await teamWithCleanBaseline();
      await updateSuite(token, suite, scenarioId, {
        entries: [plainLb],
        thresholds: [{ metric: 'swiotlb.hiwater', maxIncreasePercent: 5 }],
      });
      const fingerprints = (
        await waitForComparison(token, await runSuite(token, suite.id))
      ).comparison!.entries[0]!.findings.map((f) => f.fingerprint);
      for (const fingerprint of fingerprints) await waive(token, fingerprint);

      const breached = await waitForComparison(token, await runSuite(token, suite.id));

      expect(breached.comparison?.verdict).toBe('REGRESSED');
      expect(breached.comparison?.counts.thresholdBreaches).toBe(1);
      expect(breached.comparison?.entries[0]?.reasons).toEqual([
        expect.stringMatching(/^THRESHOLD swiotlb\.hiwater: grew by \d+ from 0/),
      ]);
    });
  });

  describe('exports and team isolation', () => {
    it('serves JUnit XML, SARIF, CSV and Markdown over HTTP with the bearer token, and 404 to another team', async () => {
      const { token, scenarioId, suite } = await teamWithCleanBaseline();
      await updateSuite(token, suite, scenarioId, { entries: [plainLb] });
      const batch = await waitForComparison(token, await runSuite(token, suite.id));
      const other = await harness.newTeam('other');
      const get = (file: string, bearer?: string) =>
        fetch(`${harness.api.url}/export/batches/${batch.id}/${file}`, {
          headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
        });

      const junit = await get('junit.xml', token);
      const sarif = await get('results.sarif', token);
      const csv = await get('series.csv', token);
      const md = await get('report.md', token);
      const crossTeam = await get('junit.xml', other.token);
      const anonymous = await get('junit.xml');

      expect(junit.status).toBe(200);
      const xml = await junit.text();
      assertWellFormedXml(xml);
      expect(xml).toContain('failures="1"');
      expect(sarif.headers.get('content-type')).toContain('application/sarif+json');
      const log = (await sarif.json()) as Record<string, unknown>;
      assertSarif210(log);
      expect(JSON.stringify(log)).toContain('"ruleId":"V1"');
      expect((await csv.text()).split('\r\n')[0]).toBe('run_id,scenario,entry,profile,metric,t,value');
      const markdown = await md.text();
      expect(markdown).toContain('**Verdict: REGRESSED**');
      // Each run's verdict levels beside the entry's verdict: the clean baseline, the candidate exposing secrets.
      expect(markdown).toMatch(/ \| clean → exposes-secrets( \+ [a-z-]+)* \| REGRESSED \| /);
      expect(crossTeam.status).toBe(404);
      expect(anonymous.status).toBe(401);
    });

    it("answers NOT_FOUND for another team's suites, batches and comparisons", async () => {
      const { suite, first } = await teamWithCleanBaseline();
      const other = await harness.newTeam('other');

      const read = await harness.gql<{ suite: unknown; suiteBatch: unknown; comparison: unknown }>(
        other.token,
        'query($s: UUID!, $b: UUID!) { suite(id: $s) { id } suiteBatch(id: $b) { id } comparison(batchId: $b) { id } }',
        { s: suite.id, b: first.id },
      );
      const accept = await harness.gql(
        other.token,
        'mutation($id: UUID!) { acceptBaseline(batchId: $id) { __typename } }',
        { id: first.id },
      );
      const run = await harness.gql(
        other.token,
        'mutation($id: UUID!) { runSuite(input: { suiteId: $id }) { __typename } }',
        { id: suite.id },
      );

      // Each lookup is null with a NOT_FOUND error, like the mutations: one convention for every id.
      expect(read.data).toEqual({ suite: null, suiteBatch: null, comparison: null });
      expect(read.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
      expect(accept.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(run.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('schedules', () => {
    it("creates a job scheduler in Redis under this file's prefix, removes it on pause, restores it on resume and after reconciliation", async () => {
      const { token } = await harness.newTeam('sched');
      const suite = await createSuite(token, await createScenario(token));
      const queue = new Queue(RegressionQueueName.schedules, {
        connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
        prefix: process.env['BULLMQ_PREFIX']!,
      });
      try {
        const created = await harness.gql<{ createSchedule: { schedule: { id: string } } }>(
          token,
          'mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { ... on ScheduleSaved { schedule { id } } } }',
          {
            input: { suiteId: suite.id, name: 'nightly', cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
          },
        );
        const id = created.data.createSchedule.schedule.id;
        const afterCreate = await queue.getJobScheduler(id);
        await harness.gql(token, 'mutation($id: UUID!) { pauseSchedule(id: $id) { __typename } }', { id });
        const afterPause = await queue.getJobScheduler(id);
        await harness.gql(token, 'mutation($id: UUID!) { resumeSchedule(id: $id) { __typename } }', { id });
        await queue.removeJobScheduler(id);
        const reconciled = await harness.api.services.schedules.reconcileSchedules();
        const afterReconcile = await queue.getJobScheduler(id);

        expect(afterCreate).toMatchObject({ key: id, pattern: '0 3 * * *', tz: 'Europe/Berlin' });
        expect(afterPause).toBeFalsy();
        expect(reconciled.upserted).toBeGreaterThanOrEqual(1);
        expect(afterReconcile).toMatchObject({ key: id, pattern: '0 3 * * *' });
      } finally {
        await queue.close();
      }
    });

    it('fires on its cron through the BullMQ job scheduler and produces a batch and a comparison', async () => {
      const { token } = await harness.newTeam('sched');
      const suite = await createSuite(token, await createScenario(token));
      const created = await harness.gql<{ createSchedule: { schedule: { id: string } } }>(
        token,
        'mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { ... on ScheduleSaved { schedule { id } } } }',
        {
          input: { suiteId: suite.id, name: 'every-second', cron: '* * * * * *' },
        },
      );
      const id = created.data.createSchedule.schedule.id;
      let history: Array<{ id: string; trigger: string }> = [];
      for (let i = 0; i < 40 && history.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        history = (
          await harness.gql<{ schedule: { history: typeof history } }>(
            token,
            'query($id: UUID!) { schedule(id: $id) { history { id trigger } } }',
            { id },
          )
        ).data.schedule.history;
      }
      await harness.gql(token, 'mutation($id: UUID!) { pauseSchedule(id: $id) { __typename } }', { id });

      const fired = await waitForComparison(token, history.at(-1)!.id);

      expect(history[0]?.trigger).toBe('SCHEDULE');
      expect(fired.comparison?.verdict).toBe('NOT_COMPARABLE');
    });

    it('rejects an invalid cron expression as input', async () => {
      const { token } = await harness.newTeam('sched');
      const suite = await createSuite(token, await createScenario(token));

      const response = await harness.gql<{
        createSchedule: { __typename: string; userErrors: Array<{ code: string }> };
      }>(
        token,
        'mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename ... on InputRejected { userErrors { code } } } }',
        {
          input: { suiteId: suite.id, name: 'bad', cron: '61 * * * *' },
        },
      );

      expect(response.data.createSchedule).toEqual({
        __typename: 'InputRejected',
        userErrors: [{ code: 'INVALID_CRON' }],
      });
    });

    it('runs now into a batch and a comparison, skips a firing while the previous batch runs, and keeps the history', async () => {
      const { token } = await harness.newTeam('sched');
      const suite = await createSuite(
        token,
        await createScenario(token, s04.replace('operations: 2000', 'operations: 60000')),
      );
      const created = await harness.gql<{ createSchedule: { schedule: { id: string } } }>(
        token,
        'mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { ... on ScheduleSaved { schedule { id } } } }',
        {
          input: { suiteId: suite.id, name: 'hourly', cron: '0 * * * *', paused: true },
        },
      );
      const id = created.data.createSchedule.schedule.id;
      const runNow =
        'mutation($id: UUID!) { runScheduleNow(id: $id) { ... on ScheduleRan { skipped skipReason batch { id trigger } } } }';

      const first = await harness.gql<{ runScheduleNow: { skipped: boolean; batch: { id: string; trigger: string } } }>(
        token,
        runNow,
        { id },
      );
      const second = await harness.gql<{ runScheduleNow: { skipped: boolean; skipReason: string; batch: null } }>(
        token,
        runNow,
        { id },
      );
      const compared = await waitForComparison(token, first.data.runScheduleNow.batch.id);
      const history = await harness.gql<{
        schedule: { lastSkippedAt: string | null; lastSkipReason: string | null; history: Array<{ id: string }> };
      }>(token, 'query($id: UUID!) { schedule(id: $id) { lastSkippedAt lastSkipReason history { id } } }', { id });

      expect(first.data.runScheduleNow).toMatchObject({
        skipped: false,
        skipReason: null,
        batch: { trigger: 'SCHEDULE' },
      });
      expect(second.data.runScheduleNow).toEqual({ skipped: true, skipReason: 'OVERLAP', batch: null });
      expect(compared.comparison?.verdict).toBe('NOT_COMPARABLE');
      expect(history.data.schedule.lastSkippedAt).not.toBeNull();
      expect(history.data.schedule.lastSkipReason).toBe('OVERLAP');
      expect(history.data.schedule.history.map((b) => b.id)).toEqual([first.data.runScheduleNow.batch.id]);
    });
  });

  describe('webhooks', () => {
    let receiver: Server;
    let url: string;
    const received: Array<{ headers: IncomingMessage['headers']; body: string; answered: number }> = [];

    beforeAll(async () => {
      receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          // The first delivery of every event fails, to exercise the retry.
          const answered = received.some(
            (r) => r.headers[webhookHeaders.delivery] === request.headers[webhookHeaders.delivery],
          )
            ? 204
            : 500;
          received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
          response.writeHead(answered).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const address = receiver.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    });

    afterAll(async () => {
      await new Promise((resolve) => receiver.close(resolve));
    });

    it('delivers signed batch.completed and regression events, retrying a 500, and logs the deliveries', async () => {
      const { token, scenarioId, suite } = await teamWithCleanBaseline();
      const created = await harness.gql<{ createWebhook: { webhook: { id: string }; secret: string } }>(
        token,
        'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { ... on WebhookCreated { secret webhook { id } } } }',
        {
          input: { url, events: ['BATCH_COMPLETED', 'REGRESSION'], suiteIds: [suite.id], minSeverity: 'critical' },
        },
      );
      const { secret, webhook } = created.data.createWebhook;
      await updateSuite(token, suite, scenarioId, { entries: [plainLb] });

      const batch = await waitForComparison(token, await runSuite(token, suite.id));
      let deliveries: Array<{ event: string; status: string; attempts: number; responseStatus: number }> = [];
      for (let i = 0; i < 60 && !(deliveries.length === 2 && deliveries.every((d) => d.status === 'DELIVERED')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        deliveries = (
          await harness.gql<{ webhooks: Array<{ id: string; deliveries: typeof deliveries }> }>(
            token,
            '{ webhooks { id deliveries { event status attempts responseStatus } } }',
          )
        ).data.webhooks.find((w) => w.id === webhook.id)!.deliveries;
      }
      const mine = received.filter((r) => JSON.parse(r.body).batchId === batch.id);

      expect(deliveries.map((d) => [d.event, d.status, d.attempts, d.responseStatus]).sort()).toEqual([
        ['BATCH_COMPLETED', 'DELIVERED', 2, 204],
        ['REGRESSION', 'DELIVERED', 2, 204],
      ]);
      expect(mine.map((r) => r.answered).sort()).toEqual([204, 204, 500, 500]);
      for (const r of mine) {
        expect(
          verifyWebhookSignature(
            secret,
            String(r.headers[webhookHeaders.timestamp]),
            r.body,
            String(r.headers[webhookHeaders.signature]),
          ),
        ).toBe(true);
      }
      expect(mine.map((r) => JSON.parse(r.body).verdict)).toEqual(['REGRESSED', 'REGRESSED', 'REGRESSED', 'REGRESSED']);
    });
  });

  describe('webhook policy', () => {
    const create = (token: string, url: string) =>
      harness.gql<{
        createWebhook: {
          __typename: string;
          secret?: string;
          webhook?: { id: string };
          userErrors?: Array<{ path: string[]; code: string; message: string }>;
        };
      }>(
        token,
        'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on WebhookCreated { secret webhook { id } } ... on InputRejected { userErrors { path code message } } } }',
        { input: { url, events: ['BATCH_COMPLETED'] } },
      );

    it('rejects internal targets and credentials at creation with the field path, allowing only the operator list', async () => {
      const { token } = await harness.newTeam('ssrf');
      const refused = [
        'http://169.254.169.254/latest/meta-data/',
        // Numeric forms of 127.0.0.2 (127.0.0.1 is allow-listed in this file).
        'http://0x7f000002/',
        'http://2130706434/',
        'http://0177.0.0.2/',
        'http://127.2/',
        'http://127.0.0.2/',
        'http://[::1]/',
        'http://[::ffff:127.0.0.1]/',
        'http://0.0.0.0/',
        'http://10.0.0.1/',
        'http://100.64.0.1/',
        'http://[fd00::1]/',
        'http://[fe80::1]/',
        'http://localhost/',
      ];

      const answers = await Promise.all(refused.map((url) => create(token, url)));
      const credentials = await create(token, 'https://user:pw@hooks.example.com/');
      const allowed = await create(token, 'http://127.0.0.1:9/hook');

      for (const [i, answer] of answers.entries())
        expect([refused[i], answer.data.createWebhook]).toEqual([
          refused[i],
          {
            __typename: 'InputRejected',
            userErrors: [{ path: ['input', 'url'], code: 'TARGET_REFUSED', message: expect.any(String) }],
          },
        ]);
      expect(credentials.data.createWebhook.userErrors).toEqual([
        { path: ['input', 'url'], code: 'URL_CREDENTIALS', message: expect.any(String) },
      ]);
      expect(allowed.data.createWebhook.__typename).toBe('WebhookCreated');
    });

    it('stores the signing secret encrypted', async () => {
      const { token } = await harness.newTeam('secret');
      const created = await create(token, 'http://127.0.0.1:9/hook');
      const db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
      try {
        const row = await db.webhook.findUniqueOrThrow({ where: { id: created.data.createWebhook.webhook!.id } });

        expect(created.data.createWebhook.secret).toMatch(/^whsec_/);
        expect(row.secret).toMatch(/^v1\./);
        expect(row.secret).not.toContain(created.data.createWebhook.secret!.slice(6));
      } finally {
        await db.$disconnect();
      }
    });

    it('refuses at delivery time a stored target the policy does not allow, without retrying or contacting it', async () => {
      const { token, teamId } = await harness.newTeam('legacy');
      const contacted: string[] = [];
      const listener = createServer((request, response) => {
        contacted.push(request.url ?? '');
        response.writeHead(204).end();
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.2', resolve));
      const address = listener.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
      const queue = new Queue(RegressionQueueName.webhooks, {
        connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
        prefix: process.env['BULLMQ_PREFIX']!,
      });
      try {
        // A row written before the policy existed (127.0.0.2 is loopback and not allow-listed).
        const webhook = await db.webhook.create({
          data: { teamId, url: `http://127.0.0.2:${port}/old`, secret: 'whsec_legacy', events: ['batch.completed'] },
        });
        const delivery = await db.webhookDelivery.create({
          data: { teamId, webhookId: webhook.id, event: 'batch.completed', payload: { event: 'batch.completed' } },
        });
        await queue.add(
          'deliver-webhook',
          { deliveryId: delivery.id },
          { jobId: delivery.id, attempts: 6, backoff: { type: 'fixed', delay: 100 } },
        );
        let log: Array<{ status: string; attempts: number; responseStatus: number | null; lastError: string }> = [];
        for (let i = 0; i < 120 && !(log[0] && log[0].status !== 'PENDING'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          log = (
            await harness.gql<{ webhooks: Array<{ id: string; deliveries: typeof log }> }>(
              token,
              '{ webhooks { id deliveries { status attempts responseStatus lastError } } }',
            )
          ).data.webhooks.find((w) => w.id === webhook.id)!.deliveries;
        }

        expect(log).toEqual([{ status: 'FAILED', attempts: 1, responseStatus: null, lastError: 'TARGET_REFUSED' }]);
        expect(contacted).toEqual([]);
      } finally {
        await queue.close();
        await db.$disconnect();
        await new Promise((resolve) => listener.close(resolve));
      }
    });
  });

  describe('replayRun', () => {
    it('queues a replay of a succeeded run and records an identical result hash when its run finishes', async () => {
      const { token, first } = await teamWithCleanBaseline();
      const runs = await harness.gql<{ runs: { edges: Array<{ node: { id: string; resultHash: string } }> } }>(
        token,
        '{ runs(first: 1) { edges { node { id resultHash } } } }',
      );
      const run = runs.data.runs.edges[0]!.node;

      const replayed = await harness.gql<{
        replayRun: { replay: { id: string; status: string; expectedHash: string; actualHash: string | null } };
      }>(
        token,
        'mutation($id: UUID!) { replayRun(runId: $id) { ... on RunReplayed { replay { id status expectedHash actualHash } } } }',
        { id: run.id },
      );
      type Listed = {
        runReplays: Array<{ id: string; status: string; identical: boolean | null; actualHash: string }>;
      };
      let listed: Listed['runReplays'] = [];
      for (let i = 0; i < 600; i++) {
        listed = (await harness.gql<Listed>(token, '{ runReplays { id status identical actualHash } }')).data
          .runReplays;
        if (listed[0]?.status !== 'PENDING') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const defects = await harness.gql<{ runReplays: unknown[] }>(token, '{ runReplays(onlyDefects: true) { id } }');

      expect(first.status).toBe('SUCCEEDED');
      expect(replayed.data.replayRun.replay).toMatchObject({
        status: 'PENDING',
        expectedHash: run.resultHash,
        actualHash: null,
      });
      expect(listed[0]).toEqual({
        id: replayed.data.replayRun.replay.id,
        status: 'IDENTICAL',
        identical: true,
        actualHash: run.resultHash,
      });
      expect(defects.data.runReplays).toEqual([]);
    });
  });

  describe('dmasim ci', () => {
    it('exits 0 on a clean batch and 1 on a regression, printing the comparison', async () => {
      const { token, scenarioId, suite } = await teamWithCleanBaseline();
      const ci = async () => {
        const io = memoryIo();
        const code = await ciCommand.run(
          [
            '--suite',
            suite.name,
            '--server',
            harness.api.url,
            '--token',
            token,
            '--poll-ms',
            '100',
            '--timeout-s',
            '60',
          ],
          io,
        );
        return { code, out: io.out() };
      };

      const clean = await ci();
      await updateSuite(token, suite, scenarioId, { entries: [plainLb] });
      const regressed = await ci();

      expect(clean.code).toBe(CiExitCode.pass);
      expect(clean.out).toContain('verdict: PASS');
      // The entry names its kernel with overlays, as the suite defines it.
      expect(clean.out).toMatch(
        /× kernel \(lb \+ device-cc-accepted → lb \+ device-cc-accepted\)|× kernel \(lb → lb \+ device-cc-accepted\)/,
      );
      expect(regressed.out).toMatch(/× kernel \(lb → lb\)/);
      expect(regressed.code).toBe(CiExitCode.regressed);
      expect(regressed.out).toContain('verdict: REGRESSED');
      expect(regressed.out).toMatch(/NEW_VIOLATION V1\/critical storvsc0/);
    });

    it('with --fail-on, gates the first batch (no baseline) on its findings', async () => {
      const { token } = await harness.newTeam('ci-gate');
      const scenarioId = await createScenario(token);
      // S4 on plain lb bounces storvsc's secrets (V1 critical); the first batch has no baseline.
      const leaking = await createSuite(token, scenarioId, { entries: [plainLb] });
      const ci = async (suite: string, failOn: string) => {
        const io = memoryIo();
        const code = await ciCommand.run(
          ['--suite', suite, '--server', harness.api.url, '--token', token, '--poll-ms', '100', '--fail-on', failOn],
          io,
        );
        return { code, out: io.out(), err: io.err() };
      };

      const gated = await ci(leaking.name, 'high');
      const otherClass = await ci(leaking.name, 'F5');

      expect(gated.code).toBe(CiExitCode.regressed);
      expect(gated.out).toContain('verdict: NOT_COMPARABLE');
      expect(gated.out).toMatch(/FAIL .* V1 /);
      expect(gated.err).toMatch(/finding\(s\) meet --fail-on high \(first batch, no baseline\)/);
      // The second batch of that suite has no accepted baseline either: F5 does not occur, so it passes.
      expect(otherClass.code).toBe(CiExitCode.pass);
    });

    it('exits 3 when the server refuses (unknown suite)', async () => {
      const { token } = await harness.newTeam('ci');
      const io = memoryIo();

      const code = await ciCommand.run(['--suite', 'no-such-suite', '--server', harness.api.url, '--token', token], io);

      expect(code).toBe(CiExitCode.error);
      expect(io.err()).toContain('NOT_FOUND');
    });
  });
});
