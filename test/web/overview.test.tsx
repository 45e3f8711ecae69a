import { screen, within } from '@testing-library/react';
import { OverviewPage } from '../../web/src/pages/overview';
import { renderWithFakeServer } from './support/fake-server';
import { dashboard, run } from './support/fixtures';

// The overview page against a fake server that answers the Overview query with the fixture
// dashboard, whose riskiest-scenarios ranking lists one scenario under two kernels.
const overviewData = {
  dashboard,
  runs: { totalCount: 1, edges: [{ node: run({ id: 'r2' }) }] },
};

describe('OverviewPage', () => {
  it('lists a scenario once per kernel in the riskiest ranking, each row keyed apart (no React key warning)', async () => {
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      renderWithFakeServer(<OverviewPage canSubmit />, () => overviewData, { token: 'dms_test' });

      const riskiest = await screen.findByRole('region', { name: 'Riskiest scenarios' });
      const rows = within(riskiest)
        .getAllByRole('listitem')
        .map((li) => li.textContent);
      expect(rows).toEqual([
        'storvsc on SNP under la-classic: 7 open critical',
        'storvsc on SNP under la-phys + confidential-vmbus-no-swiotlb: 3 open critical',
        'nvme on TDX under lb: 2 open critical',
      ]);
      // Each row's count links to the run it counts.
      expect(within(riskiest).getByRole('link', { name: '3 open critical' }).getAttribute('href')).toBe('/runs/r3');
      expect(consoleError.mock.calls.map((call) => String(call[0]))).not.toContainEqual(
        expect.stringContaining('Encountered two children with the same key'),
      );
    } finally {
      consoleError.mockRestore();
    }
  });
});
