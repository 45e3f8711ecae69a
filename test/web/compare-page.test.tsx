import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { CompareRunSetQuery, RunSummaryFragment } from '../../web/src/api/generated/graphql';
import { ComparePage } from '../../web/src/pages/compare';
import { renderWithFakeServer, type GraphqlRequest } from './support/fake-server';
import { run } from './support/fixtures';

// The Compare page with N runs: a picker of 2-8 runs (A the baseline) and, for three or more, the
// columns view of compareRunSet. A fake server answers each operation by name.
const runA = run({ id: 'aaaaaaaa-0000-4000-8000-000000000000', profile: 'la-classic' });
const runB = run({ id: 'bbbbbbbb-0000-4000-8000-000000000000', profile: 'lb', verdict: 'EXPOSES_DATA' });
const runC = run({
  id: 'cccccccc-0000-4000-8000-000000000000',
  profile: 'la-phys',
  overlays: [{ name: 'device-cc-accepted', variant: 'dan' }],
});
const cellViolation = (id: string, rule: string, bytesExposed: string) => ({
  id,
  fingerprint: `fp-${id}`,
  count: '3',
  bytesExposed,
  path: `path-${rule}`,
  rule,
});

const runSet: CompareRunSetQuery['compareRunSet'] = {
  baseline: runA,
  columns: [
    {
      run: runB,
      summary: 'vs la-classic: fixed 1, new 1, reopened 1, moved 1, failures ±0',
      counts: { new: 1, reopened: 1, fixed: 1, persisting: 1, moved: 1 },
    },
    {
      run: runC,
      summary: 'vs la-classic: fixed 1, new 1, moved 0, failures +12 F5',
      counts: { new: 1, reopened: 0, fixed: 1, persisting: 2, moved: 0 },
    },
  ],
  findings: [
    {
      class: 'V1',
      deviceId: 'storvsc0',
      dataClass: 'secret',
      severity: 'critical',
      baseline: cellViolation('k0', 'A4', '4096'),
      cells: [
        { status: 'PERSISTING', grew: true, violation: cellViolation('k1', 'A4', '8192') },
        { status: 'PERSISTING', grew: false, violation: cellViolation('k2', 'A4', '4096') },
      ],
    },
    {
      class: 'V5',
      deviceId: 'blk0',
      dataClass: 'secret',
      severity: 'critical',
      baseline: cellViolation('m0', 'A4', '512'),
      cells: [
        { status: 'MOVED', grew: false, violation: cellViolation('m1', 'B5', '512') },
        { status: 'FIXED', grew: false, violation: null },
      ],
    },
    {
      class: 'V3',
      deviceId: 'nic0',
      dataClass: 'secret',
      severity: 'high',
      baseline: null,
      cells: [{ status: 'REOPENED', grew: false, violation: cellViolation('r1', 'C2', '64') }, null],
    },
  ],
  metrics: [
    {
      metric: 'failedMaps',
      baseline: 0,
      cells: [
        { value: 3, delta: '3', direction: 'WORSE' },
        { value: 0, delta: '0', direction: 'UNCHANGED' },
      ],
    },
    {
      metric: 'swiotlb.hiwater',
      baseline: 2960,
      cells: [
        { value: 2960, delta: '0', direction: 'UNCHANGED' },
        { value: 100, delta: '-2860', direction: 'BETTER' },
      ],
    },
  ],
};

const recent: RunSummaryFragment[] = [runA, runB, runC];
const requests: GraphqlRequest[] = [];

function answer(request: GraphqlRequest): unknown {
  requests.push(request);
  if (request.operationName === 'CompareRunSet') return { compareRunSet: runSet };
  if (request.operationName === 'RecentRuns')
    return { runs: { totalCount: recent.length, edges: recent.map((node) => ({ node })) } };
  return null;
}

function renderPage(props: { a?: string; b?: string; runs?: string[] }): void {
  renderWithFakeServer(
    <ComparePage a={props.a ?? null} b={props.b ?? null} batch={null} runs={props.runs ?? null} />,
    answer,
  );
}

const cellTexts = (row: HTMLElement): string[] => [...row.children].map((cell) => cell.textContent ?? '');

beforeAll(() => {
  // jsdom has no layout: navigate() scrolls to the top, which jsdom reports as not implemented.
  jest.spyOn(window, 'scrollTo').mockImplementation(() => undefined);
});

beforeEach(() => {
  requests.length = 0;
  window.history.replaceState(null, '', '/compare');
});

describe('ComparePage with N runs', () => {
  it('asks compareRunSet for the runs in order and heads each column with its summary and counts', async () => {
    renderPage({ runs: [runA.id, runB.id, runC.id] });

    expect(await screen.findByText('vs la-classic: fixed 1, new 1, reopened 1, moved 1, failures ±0')).toBeTruthy();
    expect(requests.find((r) => r.operationName === 'CompareRunSet')?.variables).toEqual({
      runIds: [runA.id, runB.id, runC.id],
    });
    expect(screen.getByRole('heading', { name: 'A — baseline' }).closest('div')?.textContent).toContain('la-classic');
    const c = screen.getByRole('heading', { name: 'C — compared' }).closest('div');
    expect(c?.textContent).toContain('device-cc-accepted:dan');
    expect(c?.textContent).toContain('vs la-classic: fixed 1, new 1, moved 0, failures +12 F5');
    expect(
      within(screen.getByRole('list', { name: 'Finding changes from A to B' }))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['1 new', '1 reopened', '1 fixed', '1 moved', '1 persisting']);
    expect(
      within(screen.getByRole('list', { name: 'Finding changes from A to C' }))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['1 new', '0 reopened', '1 fixed', '0 moved', '2 persisting']);
    expect(screen.getByRole('link', { name: 'A and C in detail' }).getAttribute('href')).toBe(
      `/compare?a=${runA.id}&b=${runC.id}`,
    );
  });

  it('shows every finding with its status per column: moved as moved with its new rule, absent as a dash', async () => {
    renderPage({ runs: [runA.id, runB.id, runC.id] });
    const table = await screen.findByRole('table', { name: 'Findings of every run against the baseline' });
    const rows = within(table).getAllByRole('row').map(cellTexts);

    expect(rows).toEqual([
      ['Finding', 'A — baseline', 'B — lb', 'C — la-phys'],
      ['V1 storvsc0 secret critical', 'rule A4 4,096 B', 'persisting ▲ grew 8,192 B', 'persisting 4,096 B'],
      ['V5 blk0 secret critical', 'rule A4 512 B', 'moved rule A4 → B5 (path-B5)', 'fixed'],
      ['V3 nic0 secret high', '—', 'reopened 64 B', '—'],
    ]);
  });

  it('lists metric deltas per column with their direction; an unchanged cell shows the value only', async () => {
    renderPage({ runs: [runA.id, runB.id, runC.id] });
    const table = await screen.findByRole('table', { name: 'Metrics that differ from the baseline' });
    const rows = within(table).getAllByRole('row').map(cellTexts);

    expect(rows).toEqual([
      ['Metric', 'A', 'B', 'C'],
      ['failedMaps', '0', '3 +3 worse', '0'],
      ['swiotlb.hiwater', '2,960 slots', '2,960 slots', '100 slots −2,860 slots better'],
    ]);
    expect(within(table).getByText('+3').className).toBe('delta-worse');
    expect(within(table).getByText('−2,860 slots').className).toBe('delta-better');
  });
});

describe('the run picker', () => {
  it('adds runs up to eight, and compares three or more as columns, two as a pair', async () => {
    const user = userEvent.setup();
    renderPage({});
    const form = screen.getByRole('form', { name: 'Choose runs to compare' });
    await screen.findAllByRole('option', { name: new RegExp(runC.id.slice(0, 8)) });

    const compare = within(form).getByRole('button', { name: 'Compare' });
    await user.selectOptions(within(form).getByLabelText('Run A (baseline)'), runA.id);
    await user.selectOptions(within(form).getByLabelText('Run B (candidate)'), runA.id);
    expect((compare as HTMLButtonElement).disabled).toBe(true);
    await user.selectOptions(within(form).getByLabelText('Run B (candidate)'), runB.id);
    await user.click(compare);
    expect(window.location.search).toBe(`?a=${runA.id}&b=${runB.id}`);

    await user.click(within(form).getByRole('button', { name: 'Add a run' }));
    expect((compare as HTMLButtonElement).disabled).toBe(true);
    await user.selectOptions(within(form).getByLabelText('Run C'), runC.id);
    await user.click(compare);
    expect(window.location.search).toBe(`?runs=${runA.id},${runB.id},${runC.id}`);

    const add = within(form).getByRole('button', { name: 'Add a run' });
    for (let i = 0; i < 5; i++) await user.click(add);
    expect(within(form).getAllByRole('combobox')).toHaveLength(8);
    expect((add as HTMLButtonElement).disabled).toBe(true);
    await user.click(within(form).getByRole('button', { name: 'Remove run H' }));
    expect(within(form).getAllByRole('combobox')).toHaveLength(7);
  });
});
