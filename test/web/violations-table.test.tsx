import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ViolationsTable } from '../../web/src/components/violations-table';
import { runViolations } from './support/fixtures';

// The run page's violations table: filters, sorting by column header and row expansion, driven
// the way a keyboard or mouse user drives them.
function bodyRows(): HTMLElement[] {
  const table = screen.getByRole('table');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .filter((row) => !row.classList.contains('detail'));
}

function classColumn(): string[] {
  return bodyRows().map((row) => within(row).getAllByRole('cell')[2]!.textContent ?? '');
}

describe('ViolationsTable', () => {
  it('lists every violation, most severe first', () => {
    render(<ViolationsTable violations={runViolations} />);

    expect(classColumn()).toEqual(['V1', 'V4', 'V10']);
    expect(screen.getByText('3 of 3 shown')).toBeTruthy();
  });

  it('filters by severity, device and free text', async () => {
    const user = userEvent.setup();
    render(<ViolationsTable violations={runViolations} />);

    await user.selectOptions(screen.getByLabelText('Device'), 'nvme0');
    expect(classColumn()).toEqual(['V4', 'V10']);
    await user.selectOptions(screen.getByLabelText('Severity'), 'info');
    expect(classColumn()).toEqual(['V10']);
    await user.selectOptions(screen.getByLabelText('Severity'), '');
    await user.type(screen.getByLabelText('Search'), 'atomic');
    expect(classColumn()).toEqual(['V4']);
    expect(screen.getByText('1 of 3 shown')).toBeTruthy();
  });

  it('says so when no violation matches', async () => {
    const user = userEvent.setup();
    render(<ViolationsTable violations={runViolations} />);

    await user.type(screen.getByLabelText('Search'), 'no such text');

    expect(screen.getByText('No violations match the filters.')).toBeTruthy();
  });

  it('sorts by bytes exposed, largest first, then smallest first on a second click', async () => {
    const user = userEvent.setup();
    render(<ViolationsTable violations={runViolations} />);
    const header = screen.getByRole('button', { name: /Bytes exposed/ });

    await user.click(header);
    expect(classColumn()).toEqual(['V1', 'V10', 'V4']);
    expect(header.closest('th')?.getAttribute('aria-sort')).toBe('descending');
    await user.click(header);
    expect(classColumn()).toEqual(['V4', 'V10', 'V1']);
    expect(header.closest('th')?.getAttribute('aria-sort')).toBe('ascending');
  });

  it('sorts V10 after V4 by class number, from the keyboard', async () => {
    const user = userEvent.setup();
    render(<ViolationsTable violations={runViolations} />);

    screen.getByRole('button', { name: /^Class/ }).focus();
    await user.keyboard('{Enter}');

    expect(classColumn()).toEqual(['V1', 'V4', 'V10']);
  });

  it("shows each row's data class and kernel path without expanding, with the class linked to the legend", () => {
    render(<ViolationsTable violations={runViolations} />);
    const rows = screen.getAllByRole('row').slice(1);
    const v4 = rows.find((row) => row.textContent?.includes('dma_direct_alloc_from_pool'));

    expect(screen.getByRole('columnheader', { name: /Data class/ })).toBeTruthy();
    expect(screen.getByRole('columnheader', { name: /Kernel path/ })).toBeTruthy();
    expect(v4?.textContent).toContain('dma_direct_alloc → dma_direct_alloc_from_pool (shared atomic pool)');
    expect(screen.getByRole('link', { name: 'V4' }).getAttribute('href')).toBe('/legend#V4');
  });

  it('expands a row to its explanation and rule, and collapses it again', async () => {
    const user = userEvent.setup();
    render(<ViolationsTable violations={runViolations} />);
    const toggle = screen.getByRole('button', { name: 'Show details of V4 on nvme0' });

    await user.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(
      screen.getByText('the coherent buffer came from the atomic DMA pool, which is permanently shared'),
    ).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Hide details of V4 on nvme0' }));
    expect(
      screen.queryByText('the coherent buffer came from the atomic DMA pool, which is permanently shared'),
    ).toBeNull();
  });
});
