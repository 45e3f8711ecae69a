import type { ReactNode } from 'react';
import type { CompareRunSetQuery, FindingStatus } from '../api/generated/graphql';
import { formatMetricValue } from '../metric-info';
import { Link } from '../router';
import { SeverityBadge } from './common';
import { MetricDelta, RunHead } from './compare-parts';

export type RunSetComparison = CompareRunSetQuery['compareRunSet'];
type FindingRow = RunSetComparison['findings'][number];

/** Column letters: A is the baseline, B… the compared runs (at most eight in all). */
export const columnLetter = (index: number): string => String.fromCharCode(65 + index);

const statusOrder: readonly FindingStatus[] = ['NEW', 'REOPENED', 'FIXED', 'MOVED', 'PERSISTING'];

/** One cell of the findings table: the status against the baseline, and for moved findings the rule they moved to. */
function FindingCell({ cell, row }: { cell: FindingRow['cells'][number]; row: FindingRow }): ReactNode {
  if (!cell) return <span className="muted">—</span>;
  const status = cell.status.toLowerCase();
  const v = cell.violation;
  return (
    <>
      <span className={`badge change-${status}`}>{status}</span>
      {cell.status === 'MOVED' && v ? (
        <>
          {' '}
          rule {row.baseline?.rule ?? '?'} → {v.rule} (<code>{v.path}</code>)
        </>
      ) : null}
      {cell.grew ? ' ▲ grew' : null}
      {v && cell.status !== 'MOVED' ? (
        <span className="muted"> {Number(v.bytesExposed).toLocaleString('en-US')} B</span>
      ) : null}
    </>
  );
}

/**
 * N runs side by side, each against the baseline (column A): a head per run with its one-line
 * summary and status counts, every finding with its status per column (a finding only later runs
 * have is one row), and the metrics that differ from the baseline somewhere, with their direction.
 */
export function RunSetView({ comparison }: { comparison: RunSetComparison }): ReactNode {
  const { baseline, columns } = comparison;
  return (
    <div className="compare">
      <div className="compare-heads run-set">
        <RunHead run={baseline} title="A — baseline" />
        {columns.map((column, i) => (
          <RunHead key={column.run.id} run={column.run} title={`${columnLetter(i + 1)} — compared`}>
            <p className="compare-summary">
              <strong>{column.summary}</strong>
            </p>
            <ul className="counts" aria-label={`Finding changes from A to ${columnLetter(i + 1)}`}>
              {statusOrder.map((status) => (
                <li key={status}>
                  <span className={`badge change-${status.toLowerCase()}`}>
                    {column.counts[status.toLowerCase() as keyof typeof column.counts]} {status.toLowerCase()}
                  </span>
                </li>
              ))}
            </ul>
            <p>
              <Link to={`/compare?a=${baseline.id}&b=${column.run.id}`}>A and {columnLetter(i + 1)} in detail</Link>
            </p>
          </RunHead>
        ))}
      </div>
      <h3>Findings</h3>
      {comparison.findings.length === 0 ? (
        <p className="muted">No run has a finding.</p>
      ) : (
        <table className="data">
          <caption className="visually-hidden">Findings of every run against the baseline</caption>
          <thead>
            <tr>
              <th scope="col">Finding</th>
              <th scope="col">A — baseline</th>
              {columns.map((column, i) => (
                <th key={column.run.id} scope="col">
                  {columnLetter(i + 1)} — <code>{column.run.profile}</code>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {comparison.findings.map((row, r) => (
              <tr key={row.baseline?.id ?? `only-${r}`}>
                <th scope="row">
                  {row.class} {row.deviceId} {row.dataClass} <SeverityBadge severity={row.severity} />
                </th>
                <td>
                  {row.baseline ? (
                    <>
                      rule {row.baseline.rule}{' '}
                      <span className="muted">{Number(row.baseline.bytesExposed).toLocaleString('en-US')} B</span>
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                {row.cells.map((cell, i) => (
                  <td key={columns[i]?.run.id ?? i}>
                    <FindingCell cell={cell} row={row} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Metric deltas</h3>
      {comparison.metrics.length === 0 ? (
        <p className="muted">No metric differs from the baseline.</p>
      ) : (
        <table className="data">
          <caption className="visually-hidden">Metrics that differ from the baseline</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className="num">
                A
              </th>
              {columns.map((column, i) => (
                <th key={column.run.id} scope="col" className="num">
                  {columnLetter(i + 1)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {comparison.metrics.map((m) => (
              <tr key={m.metric}>
                <th scope="row">
                  <code>{m.metric}</code>
                </th>
                <td className="num">{formatMetricValue(m.metric, m.baseline)}</td>
                {m.cells.map((cell, i) => (
                  <td key={columns[i]?.run.id ?? i} className="num" title={cell.direction.toLowerCase()}>
                    {formatMetricValue(m.metric, cell.value)}
                    {cell.direction === 'UNCHANGED' ? null : (
                      <>
                        {' '}
                        <MetricDelta metric={m.metric} from={m.baseline} to={cell.value} direction={cell.direction} />
                      </>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
