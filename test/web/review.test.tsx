import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ReviewPage } from '../../web/src/pages/review';
import { parseRoute } from '../../web/src/router';
import { renderWithFakeServer, type GraphqlRequest } from './support/fake-server';

// The Review page against a fake server: fetch answers each operation by name, so the typed
// documents, the form's mutation input, the pending progress and the finished review are exercised.
const reviewId = 'aaaaaaaa-0000-4000-8000-000000000001';
const cost = (key: string, delta: number, deltaText: string) => ({
  __typename: 'ReviewCost',
  key,
  base: 0,
  patched: delta,
  delta,
  deltaText,
});
const leftExposure = (cls: string, severity: string, dataClass: string) => ({
  __typename: 'ReviewExposure',
  class: cls,
  severity,
  deviceId: 'storvsc0',
  dataClass,
  count: '61',
  bytesExposed: '18249728',
  path: 'dma_direct_map_phys → swiotlb_map → swiotlb_tbl_map_single (default pool, forced)',
  rule: 'A4',
  hunksNeeded: ['force-bounce-off', 'bounce-unaccepted'],
});
const markdown = '**dmasim review**: `v7.2+device-cc-accepted:posted` against `v7.2`\n';

function review(finished: boolean) {
  return {
    __typename: 'PatchReview',
    id: reviewId,
    base: 'v7.2',
    patched: 'v7.2+device-cc-accepted:posted',
    operations: 2000,
    source: 'SCENARIOS',
    status: finished ? 'SUCCEEDED' : 'RUNNING',
    progress: { __typename: 'ReviewProgress', total: 6, finished: finished ? 6 : 3 },
    runBatchIds: ['bbbbbbbb-0000-4000-8000-000000000001'],
    createdAt: '2026-11-28T10:00:00.000Z',
    finishedAt: finished ? '2026-11-28T10:00:05.000Z' : null,
    skipped: finished
      ? [{ __typename: 'ReviewSkipped', scenario: 's10-cca-virtio-net-ipa-mask', reason: 'patched run FAILED' }]
      : [],
    scenarios: finished
      ? [
          {
            __typename: 'ScenarioPatchReview',
            scenarioId: 'scn-19',
            scenario: 's19-hyperv-snp-posted-vs-full',
            runBatchId: 'bbbbbbbb-0000-4000-8000-000000000001',
            baseVerdict: 'EXPOSES_SECRETS',
            patchedVerdict: 'EXPOSES_SECRETS',
            affected: true,
            verdict: 'leaves the V1/V6 leak for storvsc0 (rule A4; needs force-bounce-off or bounce-unaccepted)',
            fixed: [],
            left: [leftExposure('V1', 'critical', 'secret'), leftExposure('V6', 'info', 'secret')],
            newExposures: [],
            newFailures: [
              {
                __typename: 'ReviewFailure',
                class: 'F5',
                severity: 'high',
                deviceId: 'storvsc0',
                count: '829',
                kernelLogLine: 'DMA addr 0x1000+4096 overflow',
              },
            ],
            memory: [cost('memory.decryptedBytes', 1048576, '+1.0 MiB')],
            time: cost('cost.totalNs', -4_200_000, '−4.200 ms'),
          },
        ]
      : null,
    total: finished
      ? {
          __typename: 'PatchReviewTotals',
          scenarios: 1,
          unaffected: 0,
          fixed: 0,
          left: 2,
          newExposures: 0,
          newFailedOperations: '829',
          verdict: 'leaves the V1/V6 leak for storvsc0 (rule A4; needs force-bounce-off or bounce-unaccepted)',
          memory: [cost('memory.decryptedBytes', 1048576, '+1.0 MiB')],
          time: cost('cost.totalNs', -4_200_000, '−4.200 ms'),
        }
      : null,
    markdown: finished ? markdown : null,
  };
}

let finished = false;
const inputs: unknown[] = [];

function answer({ operationName, variables }: GraphqlRequest): unknown {
  if (operationName === 'ReviewChoices')
    return {
      scenarios: {
        __typename: 'ScenarioConnection',
        edges: [
          {
            __typename: 'ScenarioEdge',
            node: { __typename: 'Scenario', id: 'scn-19', name: 's19-hyperv-snp-posted-vs-full', tags: [] },
          },
        ],
      },
      suites: [{ __typename: 'Suite', id: 'suite-1', name: 'storvsc' }],
    };
  if (operationName === 'ReviewPatch') {
    inputs.push(variables.input);
    return {
      reviewPatch: {
        __typename: 'PatchReviewSubmitted',
        review: { __typename: 'PatchReview', id: reviewId, status: 'QUEUED' },
      },
    };
  }
  if (operationName === 'PatchReview') return { patchReview: review(finished) };
  return undefined;
}

function renderPage(id: string | null): void {
  renderWithFakeServer(<ReviewPage id={id} canSubmit />, answer, {
    token: 'dms_test',
    requestPolicy: 'cache-and-network',
  });
}

beforeEach(() => {
  // navigate() scrolls to the top; jsdom has no layout to scroll.
  window.scrollTo = jest.fn();
  finished = false;
  inputs.length = 0;
  window.history.pushState(null, '', '/review');
});

describe('ReviewPage', () => {
  it('is routed at /review, with the review id in the query', () => {
    expect(parseRoute('/review', '')).toEqual({ page: 'review', id: null });
    expect(parseRoute('/review', `?id=${reviewId}`)).toEqual({ page: 'review', id: reviewId });
  });

  it('submits the chosen scenarios with both kernels and the operations cap, then opens the review', async () => {
    const user = userEvent.setup();
    renderPage(null);
    await user.click(screen.getByRole('radio', { name: 'Scenarios of the team' }));
    await user.click(await screen.findByRole('checkbox', { name: 's19-hyperv-snp-posted-vs-full' }));
    const patched = screen.getByRole('textbox', { name: 'Patched kernel' });
    await user.clear(patched);
    await user.type(patched, 'v7.2+device-cc-accepted:aneesh');
    await user.type(screen.getByRole('textbox', { name: 'Operations cap' }), '2000');
    await user.click(screen.getByRole('button', { name: 'Review the patch' }));
    await screen.findByRole('button', { name: 'Review the patch' });
    expect(inputs).toEqual([
      { scenarioIds: ['scn-19'], base: 'v7.2', patched: 'v7.2+device-cc-accepted:aneesh', operations: 2000 },
    ]);
    expect(window.location.pathname + window.location.search).toBe(`/review?id=${reviewId}`);
  });

  it('submits the bundled examples by default and refuses an operations cap that is not a number', async () => {
    const user = userEvent.setup();
    renderPage(null);
    await user.type(screen.getByRole('textbox', { name: 'Operations cap' }), '2k');
    await user.click(screen.getByRole('button', { name: 'Review the patch' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Operations');
    expect(inputs).toEqual([]);
    await user.clear(screen.getByRole('textbox', { name: 'Operations cap' }));
    await user.click(screen.getByRole('button', { name: 'Review the patch' }));
    await screen.findByRole('button', { name: 'Review the patch' });
    expect(inputs).toEqual([{ examples: true, base: 'v7.2', patched: 'v7.2+device-cc-accepted:posted' }]);
  });

  it('shows progress while runs are pending', async () => {
    renderPage(reviewId);
    expect((await screen.findByText('3 of 6 runs finished')).textContent).toBe('3 of 6 runs finished');
    expect(screen.getByRole('progressbar', { name: 'Review progress' }).getAttribute('aria-valuenow')).toBe('50');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('shows the finished review: verdict, totals, the per-scenario table, findings and Copy Markdown', async () => {
    finished = true;
    const user = userEvent.setup();
    const writeText = jest.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderPage(reviewId);
    const table = await screen.findByRole('table', { name: 'Review per scenario' });
    const row = within(table).getAllByRole('row')[1]!;
    expect(
      within(row)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual([
      's19-hyperv-snp-posted-vs-full',
      'exposes-secrets → exposes-secrets',
      '0',
      '2',
      '0',
      '829 × F5 storvsc0',
      '+1.0 MiB',
      '−4.200 ms',
      'leaves the V1/V6 leak for storvsc0 (rule A4; needs force-bounce-off or bounce-unaccepted)',
    ]);
    expect(within(row).getByRole('link').getAttribute('href')).toBe('/batches/bbbbbbbb-0000-4000-8000-000000000001');
    expect(screen.getByRole('list', { name: 'Review totals' }).textContent).toBe(
      '1 scenario(s)0 fixed2 left0 new exposures829 newly failing operations0 unaffected',
    );
    const findings = screen.getByRole('list', { name: 'Findings of s19-hyperv-snp-posted-vs-full' });
    expect(findings.textContent).toContain('removed by force-bounce-off or bounce-unaccepted');
    expect(findings.textContent).toContain('first log line: DMA addr 0x1000+4096 overflow');
    expect(screen.getByRole('list', { name: 'Skipped scenarios' }).textContent).toBe(
      's10-cca-virtio-net-ipa-mask: patched run FAILED',
    );
    expect(screen.queryByRole('progressbar')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Copy Markdown' }));
    expect(writeText).toHaveBeenCalledWith(markdown);
    expect((await screen.findByRole('status')).textContent).toBe('Markdown copied.');
  });
});
