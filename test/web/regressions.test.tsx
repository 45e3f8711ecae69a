import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { nextFiring, RegressionsPage } from '../../web/src/pages/regressions';
import { renderWithFakeServer, type GraphqlRequest } from './support/fake-server';
import { violation } from './support/fixtures';

// The regressions page against a fake server: fetch answers each operation by name, so the typed
// documents, the page's rendering and its mutations are exercised without a network.
const schedule = (paused: boolean) => ({
  __typename: 'Schedule',
  id: 'sched-1',
  name: 'nightly',
  cron: '0 3 * * *',
  timeZone: 'Europe/Berlin',
  paused,
  overlapPolicy: 'SKIP',
  lastFiredAt: null,
  lastSkippedAt: null,
  suite: { __typename: 'Suite', id: 'suite-1', name: 'storvsc' },
});
const suites = [
  {
    __typename: 'Suite',
    id: 'suite-1',
    name: 'storvsc',
    description: '',
    baselinePolicy: 'LAST_ACCEPTED',
    entries: [
      {
        __typename: 'SuiteEntry',
        name: 'kernel',
        profile: 'lb',
        overlays: [{ __typename: 'Overlay', name: 'device-cc-accepted', variant: null }],
      },
    ],
    batches: [
      {
        __typename: 'SuiteBatch',
        id: 'b2b2b2b2-0000-4000-8000-000000000000',
        status: 'SUCCEEDED',
        trigger: 'CI',
        runsFinished: 1,
        runsTotal: 1,
        runBatchIds: ['rb000000-0000-4000-8000-000000000000'],
        acceptedAt: null,
        createdAt: '2026-11-28T03:00:00Z',
        finishedAt: '2026-11-28T03:01:00Z',
        comparison: {
          __typename: 'Comparison',
          id: 'c1',
          verdict: 'REGRESSED',
          baselineBatchId: 'b1b1b1b1-0000-4000-8000-000000000000',
          counts: {
            __typename: 'ComparisonCounts',
            new: 2,
            fixed: 1,
            persisting: 3,
            reopened: 0,
            waived: 1,
            thresholdBreaches: 1,
            moved: 1,
          },
          entries: [
            {
              __typename: 'EntryComparison',
              scenarioName: 's04',
              entryName: 'kernel',
              profile: 'lb',
              candidateRunId: 'run-b',
              baselineRunId: 'run-a',
              verdict: 'REGRESSED',
              metrics: [
                {
                  __typename: 'MetricDiff',
                  metric: 'failedMaps',
                  breached: true,
                  breachReason: 'failedMaps 3 exceeds max 0',
                },
              ],
            },
          ],
        },
      },
    ],
  },
];

const triageFinding = {
  __typename: 'Violation',
  ...violation({ id: 't1', class: 'V1', deviceId: 'storvsc0', fingerprint: 'fp-triage' }),
  run: {
    __typename: 'Run',
    id: 'run-b',
    profile: 'lb',
    overlays: [{ __typename: 'Overlay', name: 'device-cc-accepted', variant: 'alexey' }],
    scenario: { __typename: 'Scenario', id: 'scn-1', name: 's04-hyperv-snp-confidential-storvsc' },
  },
};

let paused = false;
const calls: string[] = [];

function answer({ operationName }: GraphqlRequest): unknown {
  calls.push(operationName);
  if (operationName === 'Regressions') return { suites, schedules: [schedule(paused)] };
  if (operationName === 'TriageQueue')
    return {
      violations: {
        __typename: 'ViolationConnection',
        totalCount: 1,
        edges: [{ __typename: 'ViolationEdge', node: { ...triageFinding } }],
      },
    };
  if (operationName === 'PauseSchedule') {
    paused = true;
    return { pauseSchedule: { __typename: 'ScheduleSaved', schedule: schedule(true) } };
  }
  if (operationName === 'ResumeSchedule') {
    paused = false;
    return { resumeSchedule: { __typename: 'ScheduleSaved', schedule: schedule(false) } };
  }
  if (operationName === 'RunScheduleNow')
    return { runScheduleNow: { __typename: 'ScheduleRan', skipped: true, batch: null } };
  return undefined;
}

function renderPage(canTriage: boolean): void {
  renderWithFakeServer(<RegressionsPage canTriage={canTriage} />, answer, {
    token: 'dms_test',
    requestPolicy: 'cache-and-network',
  });
}

beforeEach(() => {
  paused = false;
  calls.length = 0;
});

describe('RegressionsPage', () => {
  it('shows each suite with its latest verdict, counts, breaches and a compare link', async () => {
    renderPage(true);
    const suite = await screen.findByRole('article', { name: /storvsc/ });

    expect(within(suite).getAllByText('REGRESSED')[0]?.className).toContain('verdict-REGRESSED');
    expect(within(suite).getByRole('list', { name: 'Finding counts' }).textContent).toBe(
      '2 new1 fixed3 persisting1 moved0 reopened1 waived1 threshold breaches',
    );
    expect(within(suite).getByRole('list', { name: 'Threshold breaches' }).textContent).toContain(
      'failedMaps 3 exceeds max 0',
    );
    expect(within(suite).getByRole('link', { name: 'compare with baseline' }).getAttribute('href')).toBe(
      '/compare?a=run-a&b=run-b',
    );
    expect(within(suite).getByRole('group', { name: /CI exports/ })).toBeDefined();
  });

  it('names each suite entry with its overlays, and each finding to triage with its scenario and kernel', async () => {
    renderPage(true);
    const suite = await screen.findByRole('article', { name: /storvsc/ });
    expect(suite.textContent).toContain('kernel (lb + device-cc-accepted)');

    const triage = await screen.findByRole('table', { name: 'Findings to triage' });
    const headers = within(triage)
      .getAllByRole('columnheader')
      .map((h) => h.textContent);
    expect(headers).toEqual(expect.arrayContaining(['Scenario', 'Kernel']));
    const row = within(triage).getAllByRole('row')[1]!;
    expect(within(row).getByRole('link', { name: 's04-hyperv-snp-confidential-storvsc' }).getAttribute('href')).toBe(
      '/scenarios/scn-1',
    );
    expect(row.textContent).toContain('lb + device-cc-accepted:alexey');
  });

  it('pauses and resumes a schedule and says so', async () => {
    const user = userEvent.setup();
    renderPage(true);
    const table = await screen.findByRole('table', { name: 'Schedules' });
    expect(within(table).getByText('active')).toBeDefined();

    await user.click(screen.getByRole('button', { name: 'Pause schedule nightly' }));
    expect((await screen.findByRole('status')).textContent).toBe('nightly paused.');
    await screen.findByRole('button', { name: 'Resume schedule nightly' });
    expect(within(table).getByText('paused')).toBeDefined();

    await user.click(screen.getByRole('button', { name: 'Resume schedule nightly' }));
    await screen.findByRole('button', { name: 'Pause schedule nightly' });
    expect(calls).toEqual(expect.arrayContaining(['PauseSchedule', 'ResumeSchedule']));
  });

  it('reports a run-now skipped by the overlap policy', async () => {
    const user = userEvent.setup();
    renderPage(true);
    await user.click(await screen.findByRole('button', { name: 'Run schedule nightly now' }));
    expect((await screen.findByRole('status')).textContent).toContain('skipped');
  });

  it('offers no schedule actions to viewers', async () => {
    renderPage(false);
    await screen.findByRole('table', { name: 'Schedules' });
    expect(screen.queryByRole('button', { name: /schedule nightly/ })).toBeNull();
  });
});

describe('nextFiring', () => {
  it("computes the next firing in the schedule's time zone", () => {
    expect(nextFiring('0 3 * * *', 'Europe/Berlin', new Date('2026-11-29T04:00:00Z'))?.toISOString()).toBe(
      '2026-11-30T02:00:00.000Z',
    );
    expect(nextFiring('not a cron', 'UTC')).toBeNull();
  });
});
