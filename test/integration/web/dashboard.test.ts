import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Queue } from 'bullmq';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { QueueName } from '../../../src/modules/run/run.queue';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';

// The dashboard in a real browser: Debian's Chromium (headless, through playwright-core) against a
// started API on real PostgreSQL and Redis, with runs executed by a real worker. Signs in, opens a
// run (violations and plots), submits a matrix and watches it finish, compares two runs and three
// as columns, triages, reviews a patch, and fails on any console error. Screenshots of each page go to artifacts/screenshots/ (and to
// docs/screenshots/ with UPDATE_SCREENSHOTS=1).
const repoRoot = path.join(__dirname, '..', '..', '..');
const examples = path.join(repoRoot, 'examples');
const artifacts = path.join(repoRoot, 'artifacts', 'screenshots');
const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

jest.setTimeout(120_000);

describe('dashboard in Chromium', () => {
  let harness: ApiHarness;
  let stopWorker: () => Promise<void>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  let scenarioId: string;
  let suiteVerdict: string;
  const runIds: string[] = [];
  const consoleErrors: string[] = [];

  async function gql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const response = await harness.gql<T>(token, query, variables);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function waitForRun(runId: string): Promise<string> {
    for (let i = 0; i < 240; i++) {
      const { run } = await gql<{ run: { status: string } }>('query($id: UUID!) { run(id: $id) { status } }', {
        id: runId,
      });
      if (!['QUEUED', 'RUNNING'].includes(run.status)) return run.status;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`run ${runId} did not finish`);
  }

  // A suite batch through the real worker, until its comparison is stored.
  async function runSuiteBatch(suiteId: string): Promise<{ id: string; verdict: string }> {
    const { runSuite } = await gql<{ runSuite: { batch: { id: string } } }>(
      'mutation($id: UUID!) { runSuite(input: { suiteId: $id }) { ... on SuiteBatchSubmitted { batch { id } } } }',
      { id: suiteId },
    );
    for (let i = 0; i < 360; i++) {
      const { suiteBatch } = await gql<{ suiteBatch: { comparison: { verdict: string } | null } }>(
        'query($id: UUID!) { suiteBatch(id: $id) { comparison { verdict } } }',
        { id: runSuite.batch.id },
      );
      if (suiteBatch.comparison) return { id: runSuite.batch.id, verdict: suiteBatch.comparison.verdict };
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`suite batch ${runSuite.batch.id} was not compared`);
  }

  // The overview's riskiest-scenarios rows as the API ranks them: one per scenario and kernel
  // ("s04-… under la-phys + confidential-vmbus-no-swiotlb: 3 open critical").
  async function riskiestFromApi(): Promise<string[]> {
    const { dashboard } = await gql<{
      dashboard: {
        riskiestScenarios: Array<{
          openCriticalViolations: number;
          profile: string;
          overlays: Array<{ name: string; variant: string | null }>;
          scenario: { name: string };
        }>;
      };
    }>(
      'query { dashboard { riskiestScenarios { openCriticalViolations profile overlays { name variant } scenario { name } } } }',
      {},
    );
    return dashboard.riskiestScenarios.slice(0, 10).map((r) => {
      const kernel = [r.profile, ...r.overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join(' + ');
      return `${r.scenario.name} under ${kernel}: ${r.openCriticalViolations} open critical`;
    });
  }

  async function screenshot(name: string): Promise<void> {
    // No hover tooltips or focus rings from the last click in the pictures.
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    harness = await startApiHarness();
    stopWorker = (
      await startWorkerProcess(parseConfig({ ...process.env, WORKER_CONCURRENCY: '2' }), pino({ level: 'silent' }))
    ).stop;
    ({ token } = await harness.newTeam('web'));

    // Seed: one scenario (a shorter workload than the example's) and two runs of it under
    // different profiles, processed by the worker above.
    const spec = readFileSync(path.join(examples, 's04-hyperv-snp-confidential-storvsc.yaml'), 'utf8').replace(
      /operations: \d+/,
      'operations: 4000',
    );
    const created = await gql<{ createScenario: { scenario: { id: string } } }>(
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec },
    );
    scenarioId = created.createScenario.scenario.id;
    // A second version, so the scenario page has a spec diff to show.
    await gql('mutation($input: UpdateScenarioInput!) { updateScenario(input: $input) { __typename } }', {
      input: { id: scenarioId, spec: spec.replace('operations: 4000', 'operations: 3000') },
    });
    for (const overrides of [
      { profile: 'la-classic' },
      { profile: 'la-phys', overlays: [{ name: 'confidential-vmbus-no-swiotlb' }] },
    ]) {
      const submitted = await gql<{ submitRun: { run: { id: string } } }>(
        'mutation($input: SubmitRunInput!) { submitRun(input: $input) { ... on RunSubmitted { run { id } } } }',
        { input: { scenarioId, overrides } },
      );
      runIds.push(submitted.submitRun.run.id);
    }
    for (const id of runIds) expect(await waitForRun(id)).toBe('SUCCEEDED');

    // A regression suite with two batches: the baseline under the confidential VMBus overlay, then
    // the same entry name under la-classic (compared with it), and a nightly schedule.
    const suiteInput = (entry: Record<string, unknown>) => ({
      name: 'storvsc-nightly',
      scenarioIds: [scenarioId],
      entries: [{ name: 'kernel', ...entry }],
      thresholds: [{ metric: 'failedMaps', max: '0' }],
    });
    const { createSuite } = await gql<{ createSuite: { suite: { id: string } } }>(
      'mutation($input: SuiteInput!) { createSuite(input: $input) { ... on SuiteSaved { suite { id } } } }',
      {
        input: suiteInput({ profile: 'la-phys', overlays: [{ name: 'confidential-vmbus-no-swiotlb' }] }),
      },
    );
    const suiteId = createSuite.suite.id;
    const baseline = await runSuiteBatch(suiteId);
    await gql('mutation($id: UUID!) { acceptBaseline(batchId: $id) { __typename } }', { id: baseline.id });
    await gql('mutation($id: UUID!, $input: SuiteInput!) { updateSuite(id: $id, input: $input) { __typename } }', {
      id: suiteId,
      input: suiteInput({ profile: 'la-classic' }),
    });
    suiteVerdict = (await runSuiteBatch(suiteId)).verdict;
    await gql('mutation($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename } }', {
      input: { suiteId, name: 'nightly', cron: '0 3 * * *', timeZone: 'Europe/Berlin' },
    });

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: harness.api.url });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('response', async (response) => {
      if (response.status() >= 400)
        consoleErrors.push(
          `HTTP ${response.status()} ${response.url()} ${response.request().postData() ?? ''} → ${(await response.text().catch(() => '')).slice(0, 300)}`,
        );
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopWorker?.();
    const queue = new Queue(QueueName.runs, {
      connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
      prefix: process.env['BULLMQ_PREFIX']!,
    });
    await queue.obliterate({ force: true });
    await queue.close();
    await harness?.stop();
    if (process.env['UPDATE_SCREENSHOTS'] === '1') {
      const docs = path.join(repoRoot, 'docs', 'screenshots');
      mkdirSync(docs, { recursive: true });
      for (const file of readdirSync(artifacts)) copyFileSync(path.join(artifacts, file), path.join(docs, file));
    }
  });

  it('rejects a wrong token and signs in with a valid one, landing on the overview charts', async () => {
    await page.goto('/');
    await page.getByLabel('API token').fill('dms_not_a_real_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    // The browser logs the rejected sign-in's 401 itself; that one is expected.
    expect(consoleErrors.every((line) => line.includes('401'))).toBe(true);
    consoleErrors.length = 0;

    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.locator('figure[aria-label="Runs by status per day"] .recharts-bar-rectangle').first().waitFor();
    await page
      .locator('figure[aria-label="SWIOTLB headroom trend (peak pool use per run)"] .recharts-line')
      .first()
      .waitFor();
    expect(await page.getByRole('link', { name: 's04-hyperv-snp-confidential-storvsc' }).count()).toBeGreaterThan(0);
    // Riskiest scenarios: the page lists exactly what the API ranks, and the seeded data ranks something
    // (the last suite batch ran la-classic, whose V1 findings are open and critical).
    const riskiestRows = await riskiestFromApi();
    expect(riskiestRows.length).toBeGreaterThan(0);
    const riskiest = page.getByRole('region', { name: 'Riskiest scenarios' });
    await riskiest.locator('.recharts-bar-rectangle').first().waitFor();
    expect(await riskiest.locator('ol.compact li').allTextContents()).toEqual(riskiestRows);
    expect(await page.getByRole('region', { name: 'Get started' }).count()).toBe(0);
    await screenshot('overview');
  });

  it('shows a leaking run with its verdict badge in the overview and scenario run tables', async () => {
    // runIds[0] is S04 under la-classic: storvsc's secrets bounce through shared SWIOTLB (V1 critical).
    const badgeIn = async (caption: string): Promise<string> => {
      const table = page.getByRole('table', { name: caption });
      const row = table
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: runIds[0]!.slice(0, 8), exact: true }) });
      const badge = row.locator('.badge[class*="verdict-"]');
      await badge.waitFor();
      return `${await badge.getAttribute('class')}|${await badge.textContent()}`;
    };

    await page.goto('/');
    expect(await badgeIn('Recent runs')).toBe('badge verdict-exposes-secrets|exposes-secrets');
    await page.goto(`/scenarios/${scenarioId}`);
    expect(await badgeIn('Recent runs of this scenario')).toBe('badge verdict-exposes-secrets|exposes-secrets');
  });

  it('opens a run with its verdict, violations (expandable) and the SWIOTLB plot', async () => {
    await page.goto(`/runs/${runIds[0]}`);

    await page.getByText('exposes-secrets').waitFor();
    const violations = page.getByRole('table', { name: 'Violations' });
    await violations.getByRole('cell', { name: 'V1', exact: true }).first().waitFor();
    await page.locator('figure[aria-label="SWIOTLB slots used vs nslabs"] .recharts-area-area').waitFor();
    // Data class and kernel path are visible in the row itself, without expanding it.
    const v1Row = violations
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'V1', exact: true }) })
      .first();
    expect(await v1Row.locator('td').nth(4).textContent()).toMatch(/^[a-z-]+$/);
    expect(await v1Row.locator('td.path code').textContent()).toMatch(/swiotlb|dma_direct/);
    expect(await violations.getByRole('columnheader', { name: /Data class/ }).count()).toBe(1);
    expect(await violations.getByRole('columnheader', { name: /Kernel path/ }).count()).toBe(1);
    // The class links to its legend entry.
    expect(await v1Row.getByRole('link', { name: 'V1' }).getAttribute('href')).toBe('/legend#V1');
    await violations
      .getByRole('button', { name: /Show details of V1/ })
      .first()
      .click();
    await page.locator('tr.detail').getByText('Explanation').first().waitFor();
    await page.getByRole('heading', { name: 'Kernel log' }).waitFor();
    expect(await page.locator('pre.kernel-log').textContent()).toContain('software IO TLB');
    await screenshot('run');

    const exports = page.getByRole('group', { name: 'CI exports of this run' });
    const [junit] = await Promise.all([
      page.waitForEvent('download'),
      exports.getByRole('button', { name: 'Download JUnit' }).click(),
    ]);
    expect(junit.suggestedFilename()).toBe(`run-${runIds[0]}.junit.xml`);
    expect(readFileSync(await junit.path(), 'utf8')).toContain('<testsuites name="dmasim"');
    const [sarif] = await Promise.all([
      page.waitForEvent('download'),
      exports.getByRole('button', { name: 'Download SARIF' }).click(),
    ]);
    expect(sarif.suggestedFilename()).toBe(`run-${runIds[0]}.results.sarif`);
    const log = JSON.parse(readFileSync(await sarif.path(), 'utf8')) as { version: string };
    expect(log.version).toBe('2.1.0');
  });

  it('shows live progress of a new run through the runUpdated subscription', async () => {
    const submitted = await gql<{ submitRun: { run: { id: string } } }>(
      'mutation($input: SubmitRunInput!) { submitRun(input: $input) { ... on RunSubmitted { run { id } } } }',
      { input: { scenarioId, overrides: { profile: 'lb' } } },
    );
    const id = submitted.submitRun.run.id;
    runIds.push(id);
    await page.goto(`/runs/${id}`);
    // A short run may finish before the page is up; otherwise the progress bar shows while it runs.
    await page
      .getByRole('progressbar', { name: 'Run progress' })
      .or(page.locator('h1 .badge.status-succeeded'))
      .first()
      .waitFor();
    await page.locator('h1 .badge.status-succeeded').waitFor({ timeout: 90_000 });
    await page.getByRole('heading', { name: 'Verdict' }).waitFor();
  });

  it('submits a matrix from the scenario page and watches every run complete', async () => {
    await page.goto(`/scenarios/${scenarioId}`);
    await page.getByRole('heading', { name: 's04-hyperv-snp-confidential-storvsc' }).waitFor();
    await page.getByRole('button', { name: 'Show diff' }).click();
    expect(await page.locator('pre.diff .diff-added').allTextContents()).toEqual([expect.stringContaining('3000')]);
    await page.getByLabel('Matrix over profiles').check();
    await screenshot('scenario');

    await page.getByRole('button', { name: 'Submit matrix' }).click();

    await page.waitForURL(/\/batches\//);
    await page.getByText('2 of 2 runs finished').waitFor({ timeout: 90_000 });
    await page.getByRole('link', { name: 'Compare the batch side by side' }).waitFor();
    await screenshot('batch');
    const [junit] = await Promise.all([
      page.waitForEvent('download'),
      page
        .getByRole('group', { name: 'CI exports of this batch' })
        .getByRole('button', { name: 'Download JUnit' })
        .click(),
    ]);
    expect(readFileSync(await junit.path(), 'utf8')).toContain('tests="2"');
    await page.getByRole('link', { name: 'Compare the batch side by side' }).click();
    await page.getByRole('heading', { name: 'Metric deltas' }).waitFor();
  });

  it('compares two runs: new, fixed, moved and persisting violations and metric deltas', async () => {
    await page.goto(`/compare?a=${runIds[0]}&b=${runIds[1]}`);

    await page.getByRole('heading', { name: 'Metric deltas' }).waitFor();
    const fixed = page.getByRole('button', { name: /fixed/ });
    await fixed.waitFor();
    expect(await page.getByRole('group', { name: 'Violation changes from A to B' }).textContent()).toMatch(
      /\d+new\d+reopened\d+fixed\d+moved\d+persisting/,
    );
    await screenshot('compare');
  });

  it('compares three runs as columns against the first: a head, counts and finding statuses per column', async () => {
    // A la-classic (leaks through SWIOTLB), B la-phys with the confidential VMBus overlay, C lb.
    await page.goto(`/compare?runs=${runIds.slice(0, 3).join(',')}`);

    await page.getByRole('heading', { name: 'A — baseline' }).waitFor();
    await page.getByRole('heading', { name: 'B — compared' }).waitFor();
    await page.getByRole('heading', { name: 'C — compared' }).waitFor();
    for (const letter of ['B', 'C'])
      expect(await page.getByRole('list', { name: `Finding changes from A to ${letter}` }).textContent()).toMatch(
        /\d+ new\d+ reopened\d+ fixed\d+ moved\d+ persisting/,
      );
    const findings = page.getByRole('table', { name: 'Findings of every run against the baseline' });
    expect(await findings.getByRole('columnheader').allTextContents()).toEqual([
      'Finding',
      'A — baseline',
      'B — la-phys',
      'C — lb',
    ]);
    // Every finding row shows, per compared column, the status the API gives (— where a run lacks it).
    const { compareRunSet } = await gql<{
      compareRunSet: { findings: Array<{ class: string; cells: Array<{ status: string } | null> }> };
    }>('query($ids: [UUID!]!) { compareRunSet(runIds: $ids) { findings { class cells { status } } } }', {
      ids: runIds.slice(0, 3),
    });
    expect(compareRunSet.findings.some((f) => f.class === 'V1')).toBe(true);
    const shown = await findings
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) =>
          [...row.querySelectorAll('td')]
            .slice(1)
            .map((td) => td.querySelector('.badge')?.textContent ?? td.textContent?.trim() ?? ''),
        ),
      );
    expect(shown).toEqual(compareRunSet.findings.map((f) => f.cells.map((c) => c?.status.toLowerCase() ?? '—')));
    await page.getByRole('heading', { name: 'Metric deltas' }).waitFor();
    await screenshot('compare-columns');
  });

  it("shows the suites' latest comparison and schedules, pauses and resumes a schedule, and triages a finding", async () => {
    await page.goto('/regressions');
    await page.getByRole('heading', { name: 'Regressions', level: 1 }).waitFor();
    const suite = page.getByRole('article', { name: /storvsc-nightly/ });
    await suite.locator(`.badge.verdict-${suiteVerdict}`).first().waitFor();
    expect(await suite.getByRole('list', { name: 'Finding counts' }).textContent()).toMatch(
      /\d+ new\d+ fixed\d+ persisting\d+ moved/,
    );
    await suite
      .getByRole('group', { name: /CI exports of storvsc-nightly/ })
      .getByRole('button', { name: 'Download JUnit' })
      .waitFor();

    const schedules = page.getByRole('table', { name: 'Schedules' });
    const row = schedules.getByRole('row', { name: /nightly/ });
    await row.getByText('Europe/Berlin').waitFor();
    await row.getByText('active').waitFor();
    await page.getByRole('button', { name: 'Pause schedule nightly' }).click();
    await row.getByText('paused').waitFor();
    await page.getByRole('status').getByText('nightly paused.').waitFor();
    await page.getByRole('button', { name: 'Resume schedule nightly' }).click();
    await row.getByText('active').waitFor();
    await page.getByRole('status').getByText('nightly resumed.').waitFor();

    await page.getByRole('heading', { name: 'Triage' }).waitFor();
    const acknowledge = page.getByRole('button', { name: /^Acknowledge / }).first();
    await acknowledge.waitFor();
    const before = await page.getByRole('button', { name: /^Acknowledge / }).count();

    await acknowledge.click();

    await page.waitForFunction(`document.querySelectorAll('button[aria-label^="Acknowledge "]').length < ${before}`);
    await page.mouse.move(0, 0);
    await screenshot('regressions');
  });

  it('imports a trace on the scenarios page and sizes the pools of the new scenario', async () => {
    await page.goto('/scenarios');
    const panel = page.getByRole('form', { name: 'Import trace' });
    await panel
      .getByLabel(/Trace file/)
      .setInputFiles(path.join(repoRoot, 'test', 'fixtures', 'traces', 'tracefs-v6.18-storvsc.txt'));
    await panel
      .getByLabel(/Device map/)
      .fill('f8b3781b-1e82-4818-a1c3-63d806ec15bb=vmbus-storvsc,trust=confidential-vmbus,id=storvsc0');
    await panel.getByLabel(/Data rules/).fill('storvsc0:to-device=secret');
    await panel.getByLabel('Platform').selectOption('hyperv-snp-paravisor');
    await panel.getByRole('button', { name: 'Preview' }).click();
    await panel.getByText('Preview: nothing stored yet.').waitFor();
    await panel.getByText(/3 ops carry data of class/).waitFor();

    await panel.getByRole('button', { name: 'Import and create scenario' }).click();
    await panel.getByRole('link', { name: 'tracefs-v6.18-storvsc' }).click();
    await page.getByRole('heading', { name: 'tracefs-v6.18-storvsc' }).waitFor();
    await page.getByRole('button', { name: 'Size the pools' }).click();

    const table = page.getByRole('table', { name: 'Smallest pools without exhaustion' });
    await table.waitFor({ timeout: 60_000 });
    // One row for swiotlb (F1) and one for coherent_pool (F7) under the spec's own profile.
    expect(await table.locator('tbody tr').count()).toBe(2);
    await expect(table.locator('tbody tr').first().textContent()).resolves.toContain('F1');
    await screenshot('pool-sizing');
  });

  it('an empty team sees what to do next and charts that say why they are empty', async () => {
    const empty = await harness.newTeam('empty');
    const emptyContext = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: harness.api.url });
    const emptyPage = await emptyContext.newPage();
    emptyPage.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    try {
      await emptyPage.goto('/');
      await emptyPage.getByLabel('API token').fill(empty.token);
      await emptyPage.getByRole('button', { name: 'Sign in' }).click();
      const start = emptyPage.getByRole('region', { name: 'Get started' });
      await start.waitFor();
      expect(await start.textContent()).toContain('npx dmasim demo');
      await start.getByRole('link', { name: 'Create one from a spec' }).waitFor();
      for (const [title, text] of [
        ['Runs by status per day', 'No runs in the last 30 days'],
        ['Violations by class and severity per day', 'No violations in the last 30 days'],
        ['Scenarios by open critical violations', 'No scenario has open critical violations'],
        ['SWIOTLB headroom trend (peak pool use per run)', 'No finished runs with SWIOTLB metrics yet'],
      ] as const) {
        await emptyPage.getByRole('group', { name: title }).getByText(text).waitFor();
      }
      await emptyPage.mouse.move(0, 0);
      await emptyPage.screenshot({ path: path.join(artifacts, 'overview-empty.png'), fullPage: true });
    } finally {
      await emptyContext.close();
    }
  });

  it('creates a scenario from the spec editor: problems listed with their paths, then saved', async () => {
    await page.goto('/scenarios/new');
    await page.getByRole('heading', { name: 'New scenario', level: 1 }).waitFor();
    const spec = readFileSync(path.join(examples, 's01-snp-virtio-net.yaml'), 'utf8').replace(
      /^name: .*$/m,
      'name: uploaded-from-the-dashboard',
    );
    const editor = page.getByLabel('Spec text');

    await editor.fill(spec.replace(/^apiVersion: .*$/m, 'apiVersion: dmasim/v1\nbogusKey: 1'));
    const problem = page.locator('ul.problems li').first();
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/bogusKey/);
    expect(await page.getByRole('button', { name: 'Create scenario' }).isDisabled()).toBe(true);

    await editor.fill(spec);
    await page.getByText('The spec is valid.').waitFor();
    await screenshot('new-scenario');
    await page.getByRole('button', { name: 'Create scenario' }).click();

    await page.getByRole('heading', { name: 'uploaded-from-the-dashboard' }).waitFor();
    expect(page.url()).toMatch(/\/scenarios\/[0-9a-f-]{36}$/);
  });

  it('opens the legend at the entry a finding links to', async () => {
    await page.goto(`/runs/${runIds[0]}`);
    const violations = page.getByRole('table', { name: 'Violations' });
    await violations.getByRole('link', { name: 'V1', exact: true }).first().click();

    await page.getByRole('heading', { name: /Legend/, level: 1 }).waitFor();
    const entry = page.locator('#legend-V1');
    await entry.waitFor();
    expect(await entry.getAttribute('class')).toContain('target');
    expect(await entry.textContent()).toMatch(/Trusted device bounced through shared SWIOTLB/);
    await screenshot('legend');
  });

  it('lists a scenario once per kernel among the riskiest on the overview, after the runs above', async () => {
    await page.goto('/');
    const riskiest = page.getByRole('region', { name: 'Riskiest scenarios' });
    await riskiest.locator('ol.compact li').first().waitFor();
    const rows = await riskiestFromApi();
    expect(await riskiest.locator('ol.compact li').allTextContents()).toEqual(rows);
    // The seeded scenario ranks under more than one kernel by now (la-classic from the seed and
    // the suite, lb from the live-progress run): the rows repeat the scenario, not the kernel.
    const seeded = rows.filter((row) => row.startsWith('s04-hyperv-snp-confidential-storvsc under '));
    expect(seeded.length).toBeGreaterThan(1);
    expect(new Set(seeded).size).toBe(seeded.length);
  });

  it('reviews a patch: the Review form queues it, then shows the per-scenario table and the Markdown', async () => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Review', exact: true }).click();
    await page.getByRole('heading', { name: 'Review a patch', level: 1 }).waitFor();
    await page.getByRole('radio', { name: 'Scenarios of the team' }).check();
    await page.getByRole('checkbox', { name: 's04-hyperv-snp-confidential-storvsc' }).check();
    await page.getByLabel('Base kernel').fill('lb');
    await page.getByLabel('Patched kernel').fill('lb+device-cc-accepted:posted');
    await page.getByLabel('Operations cap').fill('1000');
    await page.getByRole('button', { name: 'Review the patch' }).click();

    // lb has no SWIOTLB_FORCE: posted stops the storvsc bounce (the leak is fixed) and the map fails (F5).
    const table = page.getByRole('table', { name: 'Review per scenario' });
    await table.waitFor({ timeout: 60_000 });
    expect(await table.getByRole('row').nth(1).textContent()).toMatch(
      /fixes the leak for storvsc0, breaks storvsc0: [\d,]+ × F5/,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download Markdown' }).click(),
    ]);
    expect(readFileSync(await download.path(), 'utf8')).toMatch(
      /^\*\*dmasim review\*\*: `lb\+device-cc-accepted:posted` against `lb`/,
    );
    await screenshot('review');
  });

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
