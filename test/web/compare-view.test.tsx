import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CompareView } from '../../web/src/components/compare-view';
import { comparison, violation } from './support/fixtures';

// The compare view: counts of new / fixed / persisting findings, a filter by change, and the
// metric deltas with their direction.
function changeColumn(): string[] {
  const table = screen.getByRole('table', { name: 'Compared violations' });
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getAllByRole('cell')[1]?.textContent ?? '');
}

describe('CompareView', () => {
  it('heads each side with its run, profile and overlays', () => {
    render(<CompareView comparison={comparison} />);

    expect(screen.getByText('A — baseline').closest('div')?.textContent).toContain('la-classic');
    expect(screen.getByText('B — candidate').closest('div')?.textContent).toContain('device-cc-accepted:dan');
  });

  it('counts new, fixed and persisting violations and lists them all, tagged', () => {
    render(<CompareView comparison={comparison} />);
    const counts = screen.getByRole('group', { name: 'Violation changes from A to B' });

    expect(within(counts).getByRole('button', { name: /new/ }).textContent).toBe('1new');
    expect(within(counts).getByRole('button', { name: /fixed/ }).textContent).toBe('2fixed');
    expect(within(counts).getByRole('button', { name: /moved/ }).textContent).toBe('1moved');
    expect(within(counts).getByRole('button', { name: /persisting/ }).textContent).toBe('1persisting');
    expect(changeColumn().sort()).toEqual(['fixed', 'fixed', 'moved', 'new', 'persisting']);
  });

  it('counts and tags a finding that came back as reopened, apart from the new ones', () => {
    const back = violation({ id: 'r1', class: 'V3', fingerprint: 'back' });
    render(<CompareView comparison={{ ...comparison, reopenedViolations: [back] }} />);
    const counts = screen.getByRole('group', { name: 'Violation changes from A to B' });

    expect(within(counts).getByRole('button', { name: /reopened/ }).textContent).toBe('1reopened');
    expect(within(counts).getByRole('button', { name: /new/ }).textContent).toBe('1new');
    expect(changeColumn().sort()).toEqual(['fixed', 'fixed', 'moved', 'new', 'persisting', 'reopened']);
  });

  it('shows only the fixed ones when "fixed" is pressed, and all again on a second press', async () => {
    const user = userEvent.setup();
    render(<CompareView comparison={comparison} />);
    const fixed = screen.getByRole('button', { name: /fixed/ });

    await user.click(fixed);
    expect(fixed.getAttribute('aria-pressed')).toBe('true');
    expect(changeColumn()).toEqual(['fixed', 'fixed']);
    await user.click(fixed);
    expect(changeColumn()).toHaveLength(5);
  });

  it('lists metric deltas with sign, unit and direction; a metric gone from B counts as 0 there', () => {
    render(<CompareView comparison={comparison} />);
    const table = screen.getByRole('table', { name: 'Metrics that differ between A and B' });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((row) => [...row.children].map((cell) => cell.textContent));

    expect(rows).toEqual([
      ['swiotlb.hiwater', '2,960 slots', '0 slots', '−2,960 slots better'],
      ['failedMaps', '0', '3', '+3 worse'],
      ['profile.name', 'la-classic', 'la-phys', 'changed'],
      ['violations.V1.bytesExposed', '5.39 GiB', '—', '−5.39 GiB better'],
    ]);
    // Coloured by whether the change is good for the metric, not by its sign.
    expect(within(table).getByText('+3').className).toContain('delta-worse');
    expect(within(table).getByText('−2,960 slots').className).toContain('delta-better');
    expect(within(table).getByText('−5.39 GiB').className).toContain('delta-better');
  });

  it('shows the one-line summary and a moved finding as moved, not as new plus fixed', () => {
    render(<CompareView comparison={comparison} />);

    expect(screen.getByText('vs la-classic: fixed 2, new 1, moved 1, failures ±0')).toBeTruthy();
    const moved = screen.getByRole('list', { name: 'Moved findings' });
    expect(moved.textContent).toMatch(/moved V5 blk0 .*rule A4 .*→ rule B5/);
  });

  it('says so when no metric differs', () => {
    render(<CompareView comparison={{ ...comparison, metricDeltas: [] }} />);

    expect(screen.getByText('No metric differs.')).toBeTruthy();
  });
});
