import { render, screen, within } from '@testing-library/react';
import {
  formatRunTime,
  HeadroomChart,
  RiskiestScenariosChart,
  RunsByStatusChart,
  ViolationsByClassChart,
} from '../../web/src/components/charts';
import { exportFileName } from '../../web/src/api/exports';
import { formatMetricDelta, formatMetricValue, groupMetrics, metricInfo } from '../../web/src/metric-info';
import { parseRoute } from '../../web/src/router';
import { batchProgress } from '../../web/src/pages/batch';

// What a newcomer sees in the first hour: empty charts that say why, labels that tell runs apart,
// metrics with units and meanings, and downloads that do not overwrite each other.
describe('empty overview charts', () => {
  it('each empty chart says why it is empty instead of drawing a blank frame', () => {
    render(
      <>
        <RunsByStatusChart rows={[]} />
        <ViolationsByClassChart rows={[]} />
        <RiskiestScenariosChart rows={[]} />
        <HeadroomChart series={[]} />
      </>,
    );

    for (const [title, text] of [
      ['Runs by status per day', /No runs in the last 30 days/],
      ['Violations by class and severity per day', /No violations in the last 30 days/],
      ['Scenarios by open critical violations', /No scenario has open critical violations/],
      ['SWIOTLB headroom trend (peak pool use per run)', /No finished runs with SWIOTLB metrics yet/],
    ] as const) {
      const chart = screen.getByRole('group', { name: title });
      expect(within(chart).getByText(text)).toBeTruthy();
      expect(chart.querySelector('svg')).toBeNull();
    }
  });

  it('headroom ticks carry the time, so runs of one day get distinct labels', () => {
    const a = Date.parse('2026-12-04T15:02:00Z');
    const b = Date.parse('2026-12-04T16:45:00Z');

    expect(formatRunTime(a)).toBe('12-04 15:02');
    expect(formatRunTime(b)).toBe('12-04 16:45');
  });
});

describe('metric info', () => {
  it('explains the unclear metrics and gives every key a group and unit', () => {
    expect(metricInfo('skippedOps').description).toMatch(/not executed because an earlier step failed/);
    expect(metricInfo('devices.storvsc0.bounces')).toMatchObject({ group: 'Devices', unit: 'count' });
    expect(metricInfo('violations.V1.bytesExposed')).toMatchObject({ group: 'Violations', unit: 'bytes' });
    expect(metricInfo('atomicPools.dma32.usedBytesMax').description).toContain('dma32');
    expect(metricInfo('swiotlb.failures.fragmented').group).toBe('Failures');
  });

  it('groups in a fixed order and sorts keys inside each group', () => {
    const grouped = groupMetrics([
      ['cost.totalNs', 1],
      ['swiotlb.used', 2],
      ['failedMaps', 0],
      ['swiotlb.hiwater', 3],
    ]);

    expect(grouped.map((g) => [g.group, g.rows.map((r) => r.key)])).toEqual([
      ['SWIOTLB pool', ['swiotlb.hiwater', 'swiotlb.used']],
      ['Failures', ['failedMaps']],
      ['Modelled cost', ['cost.totalNs']],
    ]);
  });

  it('formats values with units and deltas with sign; a vanished metric counts as 0', () => {
    expect(formatMetricValue('violations.V1.bytesExposed', 5784387584)).toBe('5.39 GiB');
    expect(formatMetricValue('cost.totalNs', 582334115)).toBe('582.3 ms');
    expect(formatMetricValue('swiotlb.hiwater', 3062)).toBe('3,062 slots');
    expect(formatMetricDelta('violations.V1.bytesExposed', 5784387584, null)).toBe('−5.39 GiB');
    expect(formatMetricDelta('failedMaps', undefined, 4)).toBe('+4');
    expect(formatMetricDelta('profile', 'la-phys', 'lb')).toBe('changed');
  });
});

describe('downloads and routes', () => {
  it("the CI summary's file name differs from the engine report's Markdown", () => {
    expect(exportFileName('run', 'abc', 'report.md')).toBe('run-abc.ci-summary.md');
    expect(exportFileName('run', 'abc', 'junit.xml')).toBe('run-abc.junit.xml');
  });

  it('routes /scenarios/new and /legend to their pages', () => {
    expect(parseRoute('/scenarios/new', '')).toEqual({ page: 'new-scenario' });
    expect(parseRoute('/legend', '')).toEqual({ page: 'legend' });
    expect(parseRoute('/scenarios/1b9d6bcd', '')).toEqual({ page: 'scenario', id: '1b9d6bcd' });
  });
});

describe('batch progress', () => {
  it("follows its runs' progress, not only the finished count", () => {
    expect(
      batchProgress([
        { status: 'RUNNING', progress: 0.5 },
        { status: 'RUNNING', progress: 0.5 },
      ]),
    ).toBe(0.5);
    expect(
      batchProgress([
        { status: 'SUCCEEDED', progress: 1 },
        { status: 'QUEUED', progress: 0 },
        { status: 'FAILED', progress: 0.2 },
        { status: 'RUNNING', progress: 0.6 },
      ]),
    ).toBeCloseTo(0.65);
    expect(batchProgress([])).toBe(0);
  });
});
