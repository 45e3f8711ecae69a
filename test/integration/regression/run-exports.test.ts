import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Queue } from 'bullmq';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { QueueName } from '../../../src/modules/run/run.queue';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { assertSarif210, assertWellFormedXml } from '../../unit/regression/export-validators';

// Run-level CI exports: GET /export/runs/:id/{junit.xml,results.sarif,series.csv,report.md}, one run
// exported as a one-entry batch without a baseline, behind the same bearer auth as /graphql. S4 on
// plain lb exposes secrets (V1 critical), so the exports have findings to carry.
const examples = path.join(__dirname, '..', '..', '..', 'examples');
const s04 = readFileSync(path.join(examples, 's04-hyperv-snp-confidential-storvsc.yaml'), 'utf8').replace(
  /operations: \d+/,
  'operations: 2000',
);

describe('run exports over HTTP', () => {
  let harness: ApiHarness;
  let stopWorker: () => Promise<void>;
  let token: string;
  let runId: string;

  beforeAll(async () => {
    harness = await startApiHarness();
    stopWorker = (
      await startWorkerProcess(parseConfig({ ...process.env, WORKER_CONCURRENCY: '1' }), pino({ level: 'silent' }))
    ).stop;
    ({ token } = await harness.newTeam('exports'));
    const created = await harness.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec: s04 },
    );
    const submitted = await harness.gql<{ submitRun: { run: { id: string } } }>(
      token,
      'mutation($input: SubmitRunInput!) { submitRun(input: $input) { ... on RunSubmitted { run { id } } } }',
      {
        input: { scenarioId: created.data.createScenario.scenario.id, overrides: { profile: 'lb' } },
      },
    );
    runId = submitted.data.submitRun.run.id;
    for (let i = 0; i < 480; i++) {
      const { data } = await harness.gql<{ run: { status: string } }>(
        token,
        'query($id: UUID!) { run(id: $id) { status } }',
        { id: runId },
      );
      if (!['QUEUED', 'RUNNING'].includes(data.run.status)) {
        expect(data.run.status).toBe('SUCCEEDED');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error('run did not finish');
  }, 150_000);

  afterAll(async () => {
    await stopWorker?.();
    const queue = new Queue(QueueName.runs, {
      connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
      prefix: process.env['BULLMQ_PREFIX']!,
    });
    await queue.obliterate({ force: true });
    await queue.close();
    await harness?.stop();
  });

  const get = (file: string, bearer?: string, id = runId) =>
    fetch(`${harness.api.url}/export/runs/${id}/${file}`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });

  it("serves JUnit, SARIF 2.1.0, the series CSV and Markdown to the run's team", async () => {
    const junit = await get('junit.xml', token);
    const sarif = await get('results.sarif', token);
    const csv = await get('series.csv', token);
    const md = await get('report.md', token);

    expect([junit.status, sarif.status, csv.status, md.status]).toEqual([200, 200, 200, 200]);
    expect(junit.headers.get('content-type')).toContain('application/xml');
    const xml = await junit.text();
    assertWellFormedXml(xml);
    expect(xml).toContain('tests="1"');
    expect(xml).toContain(`value="${runId}"`);
    expect(sarif.headers.get('content-type')).toContain('application/sarif+json');
    const log = (await sarif.json()) as { version: string; runs: Array<{ results: unknown[] }> };
    assertSarif210(log as unknown as Record<string, unknown>);
    expect(log.version).toBe('2.1.0');
    expect(JSON.stringify(log)).toContain('"ruleId":"V1"');
    const lines = (await csv.text()).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('run_id,scenario,entry,profile,metric,t,value');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[1]?.startsWith(`${runId},`)).toBe(true);
    const markdown = await md.text();
    expect(markdown).toContain('NOT_COMPARABLE');
    // A run's CI summary calls it a run, never a batch.
    expect(markdown).toContain(`run \`${runId}\``);
    expect(markdown).toMatch(/^# dmasim run report: /);
    expect(markdown).not.toMatch(/\bbatch\b/);
  });

  it('gates run-level JUnit and SARIF on failOn: findings at or above it are failures and error results', async () => {
    const junitDefault = await (await get('junit.xml', token)).text();
    const junitF5 = await (await get('junit.xml?failOn=F5', token)).text();
    const sarif = (await (await get('results.sarif?failOn=critical', token)).json()) as {
      runs: Array<{ results: Array<{ ruleId: string; level: string; properties: { severity: string } }> }>;
    };
    const bad = await get('junit.xml?failOn=severe', token);

    // S04 on lb exposes secrets (V1 critical): the default gate (high) fails the test case.
    expect(junitDefault).toMatch(/failures="1"/);
    expect(junitDefault).toContain('<failure type="V1"');
    expect(junitDefault).not.toContain('<skipped>');
    expect(junitF5).toMatch(/failures="0"/);
    expect(junitF5).not.toContain('<failure');
    const results = sarif.runs[0]?.results ?? [];
    expect(results.length).toBeGreaterThan(0);
    for (const r of results)
      expect(r.level).toBe(
        r.properties.severity === 'critical' ? 'error' : r.properties.severity === 'info' ? 'note' : 'warning',
      );
    expect(results.some((r) => r.ruleId === 'V1' && r.level === 'error')).toBe(true);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ message: string }> }).errors[0]?.message).toContain('severe');
  });

  it('exports a matrix run batch with one test case per run', async () => {
    const other = await harness.newTeam('other');
    const { data } = await harness.gql<{ run: { scenario: { id: string } } }>(
      token,
      'query($id: UUID!) { run(id: $id) { scenario { id } } }',
      { id: runId },
    );
    const submitted = await harness.gql<{ submitMatrix: { batch: { id: string; runs: Array<{ id: string }> } } }>(
      token,
      'mutation($input: SubmitMatrixInput!) { submitMatrix(input: $input) { ... on MatrixSubmitted { batch { id runs { id } } } } }',
      {
        input: {
          scenarioId: data.run.scenario.id,
          entries: [{ profile: 'lb' }, { profile: 'lb', overlays: [{ name: 'device-cc-accepted' }] }],
        },
      },
    );
    const batch = submitted.data.submitMatrix.batch;
    for (const run of batch.runs) {
      for (let i = 0; i < 480; i++) {
        const status = (
          await harness.gql<{ run: { status: string } }>(token, 'query($id: UUID!) { run(id: $id) { status } }', {
            id: run.id,
          })
        ).data.run.status;
        if (!['QUEUED', 'RUNNING'].includes(status)) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    const url = (file: string) => `${harness.api.url}/export/run-batches/${batch.id}/${file}`;

    const junit = await fetch(url('junit.xml'), { headers: { authorization: `Bearer ${token}` } });
    const sarif = await fetch(url('results.sarif'), { headers: { authorization: `Bearer ${token}` } });
    const crossTeam = await fetch(url('junit.xml'), { headers: { authorization: `Bearer ${other.token}` } });
    const anonymous = await fetch(url('junit.xml'));

    expect(junit.status).toBe(200);
    const xml = await junit.text();
    assertWellFormedXml(xml);
    expect(xml).toContain('tests="2"');
    const log = (await sarif.json()) as Record<string, unknown>;
    assertSarif210(log);
    expect(crossTeam.status).toBe(404);
    expect(anonymous.status).toBe(401);
  }, 150_000);

  it('answers 401 without a token, 404 for another team, an unknown run or an unknown file', async () => {
    const other = await harness.newTeam('other');

    const anonymous = await get('junit.xml');
    const crossTeam = await get('results.sarif', other.token);
    const unknownRun = await get('junit.xml', token, '00000000-0000-4000-8000-000000000000');
    const unknownFile = await get('report.pdf', token);

    expect(anonymous.status).toBe(401);
    expect(crossTeam.status).toBe(404);
    expect(unknownRun.status).toBe(404);
    expect(unknownFile.status).toBe(404);
    expect(
      ((await crossTeam.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code,
    ).toBe('NOT_FOUND');
  });
});
