import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  HeadroomChart,
  RiskiestScenariosChart,
  RunSeriesCharts,
  RunsByStatusChart,
  shortenLabel,
  ViolationsByClassChart,
} from '../../web/src/components/charts';
import { dashboard } from './support/fixtures';

// The charts render real SVG from data (recharts in jsdom at its initial 600 px size), and each
// carries an accessible summary of what it shows.
function figure(title: string): HTMLElement {
  return screen.getByRole('group', { name: title });
}

describe('overview charts', () => {
  it('stacks runs by status per day, one bar segment per status and day', () => {
    const { container } = render(<RunsByStatusChart rows={dashboard.runsByStatus} />);

    expect(within(figure('Runs by status per day')).getByRole('img').getAttribute('aria-label')).toBe(
      '11 runs over 2 days, stacked by status',
    );
    expect(
      container.querySelectorAll('.recharts-bar-rectangle path, .recharts-bar-rectangle rect').length,
    ).toBeGreaterThanOrEqual(3);
    expect(container.textContent).toContain('2026-11-28');
  });

  it('stacks violations by class and severity', () => {
    const { container } = render(<ViolationsByClassChart rows={dashboard.violationsByClass} />);

    expect(within(figure('Violations by class and severity per day')).getByRole('img').getAttribute('aria-label')).toBe(
      '10 violations over 2 days, stacked by class and severity',
    );
    expect(container.textContent).toContain('V1 critical');
    expect(container.textContent).toContain('V4 high');
  });

  it('ranks scenarios by open critical violations, one bar per scenario and kernel', () => {
    const { container } = render(<RiskiestScenariosChart rows={dashboard.riskiestScenarios} />);

    expect(within(figure('Scenarios by open critical violations')).getByRole('img').getAttribute('aria-label')).toBe(
      'storvsc on SNP (la-classic): 7; storvsc on SNP (la-phys + confidential-vmbus-no-swiotlb): 3; nvme on TDX (lb): 2',
    );
    expect(container.querySelectorAll('.recharts-bar-rectangle').length).toBe(3);
  });

  it('shortens long bar labels in the middle, keeping the scenario start and the kernel', () => {
    expect(shortenLabel('nvme on TDX (lb)')).toBe('nvme on TDX (lb)');
    const label = 's04-hyperv-snp-confidential-storvsc (la-classic)';
    // 30 characters: the first 15, an ellipsis, the last 14.
    expect(shortenLabel(label)).toBe('s04-hyperv-snp-…c (la-classic)');
    expect(shortenLabel(label)).toHaveLength(30);
  });

  it('draws the headroom trend as one line per scenario', () => {
    const { container } = render(<HeadroomChart series={dashboard.headroom} />);

    expect(
      within(figure('SWIOTLB headroom trend (peak pool use per run)')).getByRole('img').getAttribute('aria-label'),
    ).toBe('storvsc on SNP: 2 runs, latest 60.0 %');
    expect(container.querySelectorAll('.recharts-line-curve').length).toBe(1);
  });
});

describe('RunSeriesCharts', () => {
  const series = [
    {
      metric: 'swiotlb.used',
      points: [
        { t: '1000', value: 10 },
        { t: '2000', value: 300 },
        { t: '3000', value: 120 },
      ],
    },
    {
      metric: 'swiotlb.bouncedBytes',
      points: [
        { t: '1000', value: 4096 },
        { t: '2000', value: 1048576 },
        { t: '3000', value: 2097152 },
      ],
    },
    {
      metric: 'failedMaps',
      points: [
        { t: '1000', value: 0 },
        { t: '2000', value: 1 },
        { t: '3000', value: 2 },
      ],
    },
    { metric: 'atomicPool.used', points: [] },
  ];

  it('plots slots used, bounce bytes and failures, and leaves out an empty atomic-pool series', () => {
    const { container } = render(<RunSeriesCharts series={series} nslabs={1024} />);

    expect(within(figure('SWIOTLB slots used vs nslabs')).getByRole('img').getAttribute('aria-label')).toBe(
      '3 points; peak 300 slots of 1024 (29.3 %)',
    );
    expect(within(figure('Bytes bounced (cumulative)')).getByRole('img').getAttribute('aria-label')).toBe(
      '3 points; 2.0 MiB at the end',
    );
    expect(within(figure('Failed maps (cumulative)')).getByRole('img').getAttribute('aria-label')).toBe(
      '3 points; 2 failed maps at the end',
    );
    expect(screen.queryByRole('group', { name: 'Atomic pool use' })).toBeNull();
    expect(container.querySelectorAll('.recharts-area-area').length).toBe(1);
    expect(container.querySelectorAll('.recharts-line-curve').length).toBe(2);
  });

  it('draws nslabs as a reference line when the pool is well used, and toggles it', async () => {
    const user = userEvent.setup();
    const { container } = render(<RunSeriesCharts series={series} nslabs={1024} />);

    expect(container.querySelectorAll('.recharts-reference-line').length).toBe(1);
    await user.click(screen.getByLabelText(/Scale to the whole pool/));
    expect(container.querySelectorAll('.recharts-reference-line').length).toBe(0);
  });

  it('shows the atomic pool when the run has that series', () => {
    render(
      <RunSeriesCharts
        series={[...series.slice(0, 3), { metric: 'atomicPool.used', points: [{ t: '1000', value: 65536 }] }]}
        nslabs={null}
      />,
    );

    expect(screen.getByRole('group', { name: 'Atomic pool use' })).toBeTruthy();
  });
});
