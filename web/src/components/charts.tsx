import { useState, type ReactElement, type ReactNode } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { OverviewQuery } from '../api/generated/graphql';
import { formatBytes, formatDay, formatKernel, formatPercent } from '../format';

const statusColours: Record<string, string> = {
  SUCCEEDED: '#2e7d32',
  FAILED: '#c62828',
  TIMED_OUT: '#ef6c00',
  CANCELLED: '#757575',
  RUNNING: '#1565c0',
  QUEUED: '#90a4ae',
};
const severityPalettes: Record<string, readonly string[]> = {
  critical: ['#b71c1c', '#d32f2f', '#e57373', '#880e4f', '#ad1457'],
  high: ['#e65100', '#f57c00', '#ffb74d', '#bf360c'],
  info: ['#1565c0', '#42a5f5', '#90caf9', '#5e35b1'],
};
const lineColours = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#4e342e', '#ad1457'];

/** A chart with a visible title and an accessible summary; fixed height, width follows the card. */
export function ChartFigure({
  title,
  summary,
  children,
  height = 260,
  empty,
}: {
  title: string;
  summary: string;
  children: ReactNode;
  height?: number;
  /** When given, the chart has no data: this text stands in for an empty frame. */
  empty?: string | undefined;
}): ReactNode {
  if (empty !== undefined) {
    return (
      <figure className="chart chart-empty" role="group" aria-label={title}>
        <figcaption>{title}</figcaption>
        <p className="muted empty-state">{empty}</p>
      </figure>
    );
  }
  return (
    <figure className="chart" role="group" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div role="img" aria-label={summary} style={{ width: '100%', height }}>
        <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 600, height }}>
          {children as ReactElement}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

type Dashboard = OverviewQuery['dashboard'];

/** Rows keyed by day with one numeric column per series key, days ascending. */
function pivotByDay<T extends { day: string; count: number }>(
  rows: readonly T[],
  keyOf: (row: T) => string,
): { data: Array<Record<string, number | string>>; keys: string[] } {
  const byDay = new Map<string, Record<string, number | string>>();
  const keys = new Set<string>();
  for (const row of rows) {
    const day = formatDay(row.day);
    const key = keyOf(row);
    keys.add(key);
    const entry = byDay.get(day) ?? { day };
    entry[key] = (Number(entry[key]) || 0) + row.count;
    byDay.set(day, entry);
  }
  return {
    data: [...byDay.values()].sort((a, b) => String(a['day']).localeCompare(String(b['day']))),
    keys: [...keys].sort(),
  };
}

export function RunsByStatusChart({ rows }: { rows: Dashboard['runsByStatus'] }): ReactNode {
  const { data, keys } = pivotByDay(rows, (r) => r.status);
  const total = rows.reduce((sum, r) => sum + r.count, 0);
  return (
    <ChartFigure
      title="Runs by status per day"
      summary={`${total} runs over ${data.length} days, stacked by status`}
      empty={
        rows.length === 0
          ? 'No runs in the last 30 days. Submit a run (or run the examples) to fill this in.'
          : undefined
      }
    >
      <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="day" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Legend />
        {keys.map((key) => (
          <Bar key={key} dataKey={key} stackId="status" fill={statusColours[key] ?? '#999'} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartFigure>
  );
}

export function ViolationsByClassChart({ rows }: { rows: Dashboard['violationsByClass'] }): ReactNode {
  const { data, keys } = pivotByDay(rows, (r) => `${r.class} ${r.severity}`);
  const total = rows.reduce((sum, r) => sum + r.count, 0);
  const used: Record<string, number> = {};
  const colourOf = (key: string): string => {
    const severity = key.split(' ')[1] ?? 'info';
    const palette = severityPalettes[severity] ?? severityPalettes['info']!;
    const index = used[severity] ?? 0;
    used[severity] = index + 1;
    return palette[index % palette.length]!;
  };
  return (
    <ChartFigure
      title="Violations by class and severity per day"
      summary={`${total} violations over ${data.length} days, stacked by class and severity`}
      empty={
        rows.length === 0
          ? 'No violations in the last 30 days: either no run has finished yet or none found a leak.'
          : undefined
      }
    >
      <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="day" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Legend />
        {keys.map((key) => (
          <Bar key={key} dataKey={key} stackId="violations" fill={colourOf(key)} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartFigure>
  );
}

type ScenarioRisk = Dashboard['riskiestScenarios'][number];

/**
 * The ranking has one row per scenario and kernel, so a scenario run under two kernels appears twice:
 * the kernel tells the rows apart ("s04 (la-classic)"), and the key is scenario id plus kernel.
 */
export function scenarioRiskLabel(r: ScenarioRisk): string {
  return `${r.scenario.name} (${formatKernel(r.profile, r.overlays)})`;
}

export function scenarioRiskKey(r: ScenarioRisk): string {
  return `${r.scenario.id}|${formatKernel(r.profile, r.overlays)}`;
}

/** Long labels lose their middle, so both the scenario name's start and the kernel at the end stay readable. */
export function shortenLabel(label: string, max = 30): string {
  if (label.length <= max) return label;
  const head = Math.ceil((max - 1) / 2);
  return `${label.slice(0, head)}…${label.slice(label.length - (max - 1 - head))}`;
}

export function RiskiestScenariosChart({ rows }: { rows: Dashboard['riskiestScenarios'] }): ReactNode {
  const data = rows.slice(0, 10).map((r) => ({ name: scenarioRiskLabel(r), open: r.openCriticalViolations }));
  return (
    <ChartFigure
      title="Scenarios by open critical violations"
      summary={data.map((d) => `${d.name}: ${d.open}`).join('; ') || 'no scenarios'}
      height={Math.max(160, data.length * 30 + 40)}
      empty={
        rows.length === 0
          ? 'No scenario has open critical violations under its latest run of each kernel: nothing to rank.'
          : undefined
      }
    >
      <BarChart data={data} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis type="number" allowDecimals={false} />
        <YAxis type="category" dataKey="name" width={210} tickFormatter={(name: string) => shortenLabel(name)} />
        <Tooltip />
        <Bar dataKey="open" name="open critical violations" fill="#c62828" isAnimationActive={false} />
      </BarChart>
    </ChartFigure>
  );
}

/** Runs of one day are minutes apart: a tick shows day and time (12-04 15:32, UTC), so ticks never all read "12-04". */
export function formatRunTime(t: number): string {
  const iso = new Date(t).toISOString();
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

export function HeadroomChart({ series }: { series: Dashboard['headroom'] }): ReactNode {
  const lines = series.slice(0, 8).map((s) => ({
    id: s.scenario.id,
    name: s.scenario.name,
    data: s.points.map((p) => ({ at: new Date(p.at).getTime(), used: p.hiwaterFraction })),
  }));
  return (
    <ChartFigure
      title="SWIOTLB headroom trend (peak pool use per run)"
      summary={
        lines
          .map((l) => `${l.name}: ${l.data.length} runs, latest ${formatPercent(l.data.at(-1)?.used ?? 0)}`)
          .join('; ') || 'no runs'
      }
      empty={
        lines.length === 0
          ? 'No finished runs with SWIOTLB metrics yet: each run adds its peak pool use here.'
          : undefined
      }
    >
      <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="at" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={formatRunTime} />
        <YAxis
          tickFormatter={(v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`}
          domain={[0, (dataMax: number) => Math.min(1, Math.max(0.01, dataMax * 1.25))]}
        />
        <Tooltip
          labelFormatter={(t) => new Date(Number(t)).toISOString()}
          formatter={(v) => formatPercent(Number(v))}
        />
        <Legend />
        <ReferenceLine y={1} stroke="#c62828" strokeDasharray="4 4" ifOverflow="hidden" />
        {lines.map((line, index) => (
          <Line
            key={line.id}
            data={line.data}
            dataKey="used"
            name={line.name}
            stroke={lineColours[index % lineColours.length]}
            dot
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ChartFigure>
  );
}

export interface SeriesPoints {
  readonly metric: string;
  readonly points: ReadonlyArray<{ t: string; value: number }>;
}

function points(series: readonly SeriesPoints[], metric: string): Array<{ t: number; value: number }> {
  return (series.find((s) => s.metric === metric)?.points ?? []).map((p) => ({ t: Number(p.t), value: p.value }));
}

/** The series' x values are workload operation indices (the engine has no clock): op 1,024. */
const formatOp = (t: number): string => `op ${Math.round(t).toLocaleString('en-US')}`;
const opAxisLabel = { value: 'operation index', position: 'insideBottom', offset: -4 } as const;

/** A run's time series: SWIOTLB slots used against nslabs, bounce bytes, failures, atomic pool use. */
export function RunSeriesCharts({
  series,
  nslabs,
}: {
  series: readonly SeriesPoints[];
  nslabs: number | null;
}): ReactNode {
  const used = points(series, 'swiotlb.used');
  const bounced = points(series, 'swiotlb.bouncedBytes');
  const failed = points(series, 'failedMaps');
  const atomic = points(series, 'atomicPool.used');
  const peak = used.reduce((max, p) => Math.max(max, p.value), 0);
  // A pool used at a few per cent is a flat line at full scale: zoom to the data unless asked.
  const [fullPool, setFullPool] = useState(nslabs !== null && peak > nslabs * 0.1);
  const showPool = fullPool && nslabs !== null;
  return (
    <div className="chart-grid">
      <div>
        {nslabs ? (
          <label className="inline">
            <input type="checkbox" checked={fullPool} onChange={(e) => setFullPool(e.target.checked)} /> Scale to the
            whole pool (nslabs {nslabs.toLocaleString('en-US')})
          </label>
        ) : null}
        <ChartFigure
          title="SWIOTLB slots used vs nslabs"
          summary={`${used.length} points; peak ${Math.round(peak)} slots${nslabs ? ` of ${nslabs} (${formatPercent(peak / nslabs)})` : ''}`}
        >
          <AreaChart data={used} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={formatOp}
              label={opAxisLabel}
              height={40}
            />
            <YAxis domain={[0, showPool ? Math.max(nslabs, peak) : 'auto']} width={70} />
            <Tooltip labelFormatter={(t) => formatOp(Number(t))} />
            <Legend />
            {showPool ? (
              <ReferenceLine
                y={nslabs}
                stroke="#c62828"
                strokeDasharray="4 4"
                label={{ value: `nslabs ${nslabs}`, position: 'insideTopRight' }}
              />
            ) : null}
            <Area dataKey="value" name="slots used" stroke="#1565c0" fill="#90caf9" isAnimationActive={false} />
          </AreaChart>
        </ChartFigure>
      </div>
      <ChartFigure
        title="Bytes bounced (cumulative)"
        summary={`${bounced.length} points; ${formatBytes(bounced.at(-1)?.value ?? 0)} at the end`}
      >
        <LineChart data={bounced} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            domain={['dataMin', 'dataMax']}
            tickFormatter={formatOp}
            label={opAxisLabel}
            height={40}
          />
          <YAxis tickFormatter={(v: number) => formatBytes(v)} width={80} />
          <Tooltip labelFormatter={(t) => formatOp(Number(t))} formatter={(v) => formatBytes(Number(v))} />
          <Line dataKey="value" name="bytes bounced" stroke="#6a1b9a" dot={false} isAnimationActive={false} />
        </LineChart>
      </ChartFigure>
      <ChartFigure
        title="Failed maps (cumulative)"
        summary={`${failed.length} points; ${failed.at(-1)?.value ?? 0} failed maps at the end`}
      >
        <LineChart data={failed} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            dataKey="t"
            type="number"
            domain={['dataMin', 'dataMax']}
            tickFormatter={formatOp}
            label={opAxisLabel}
            height={40}
          />
          <YAxis allowDecimals={false} width={60} />
          <Tooltip labelFormatter={(t) => formatOp(Number(t))} />
          <Line dataKey="value" name="failed maps" stroke="#c62828" dot={false} isAnimationActive={false} />
        </LineChart>
      </ChartFigure>
      {atomic.length > 0 ? (
        <ChartFigure title="Atomic pool use" summary={`${atomic.length} points`}>
          <LineChart data={atomic} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="t"
              type="number"
              domain={['dataMin', 'dataMax']}
              tickFormatter={formatOp}
              label={opAxisLabel}
              height={40}
            />
            <YAxis tickFormatter={(v: number) => formatBytes(v)} width={80} />
            <Tooltip labelFormatter={(t) => formatOp(Number(t))} />
            <Line dataKey="value" name="atomic pool bytes" stroke="#00838f" dot={false} isAnimationActive={false} />
          </LineChart>
        </ChartFigure>
      ) : null}
    </div>
  );
}
