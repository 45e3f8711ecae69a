import { useMemo, useState, type ReactNode } from 'react';
import type { CompareRunsQuery, ViolationFieldsFragment } from '../api/generated/graphql';
import { ViolationsTable } from './violations-table';
import { formatMetricValue } from '../metric-info';
import { MetricDelta, RunHead } from './compare-parts';

export type RunComparison = CompareRunsQuery['compareRuns'];
type Change = 'new' | 'reopened' | 'fixed' | 'moved' | 'persisting';
const changes: readonly Change[] = ['new', 'reopened', 'fixed', 'moved', 'persisting'];

/** Run B against baseline A: new / reopened / fixed / moved / persisting violations and the metrics that moved. */
export function CompareView({ comparison }: { comparison: RunComparison }): ReactNode {
  const [show, setShow] = useState<Change | 'all'>('all');
  const tagged = useMemo(() => {
    const byId = new Map<string, Change>();
    const all: ViolationFieldsFragment[] = [];
    const add = (list: readonly ViolationFieldsFragment[], change: Change): void => {
      for (const v of list) {
        byId.set(v.id, change);
        all.push(v);
      }
    };
    add(comparison.newViolations, 'new');
    add(comparison.reopenedViolations, 'reopened');
    add(comparison.fixedViolations, 'fixed');
    add(
      comparison.movedViolations.map((m) => m.to),
      'moved',
    );
    add(comparison.persistingViolations, 'persisting');
    return { byId, all };
  }, [comparison]);
  const visible = show === 'all' ? tagged.all : tagged.all.filter((v) => tagged.byId.get(v.id) === show);
  const counts: Record<Change, number> = {
    new: comparison.newViolations.length,
    reopened: comparison.reopenedViolations.length,
    fixed: comparison.fixedViolations.length,
    moved: comparison.movedViolations.length,
    persisting: comparison.persistingViolations.length,
  };

  return (
    <div className="compare">
      <div className="compare-heads">
        {(['a', 'b'] as const).map((side) => (
          <RunHead key={side} run={comparison[side]} title={side === 'a' ? 'A — baseline' : 'B — candidate'} />
        ))}
      </div>
      <p className="compare-summary">
        <strong>{comparison.summary}</strong>
      </p>
      <div className="stat-row" role="group" aria-label="Violation changes from A to B">
        {changes.map((change) => (
          <button
            key={change}
            type="button"
            className={`stat change-${change}`}
            aria-pressed={show === change}
            onClick={() => setShow(show === change ? 'all' : change)}
          >
            <span className="stat-value">{counts[change]}</span>
            <span className="stat-label">{change}</span>
          </button>
        ))}
      </div>
      <ViolationsTable violations={visible} tag={(v) => tagged.byId.get(v.id) ?? null} caption="Compared violations" />
      {comparison.movedViolations.length > 0 ? (
        <ul className="moved-list" aria-label="Moved findings">
          {comparison.movedViolations.map((m) => (
            <li key={m.to.id}>
              moved {m.to.class} {m.to.deviceId} {m.to.dataClass}: rule {m.from.rule} (<code>{m.from.path}</code>) →
              rule {m.to.rule} (<code>{m.to.path}</code>)
            </li>
          ))}
        </ul>
      ) : null}
      <h3>Metric deltas</h3>
      {comparison.metricDeltas.length === 0 ? (
        <p className="muted">No metric differs.</p>
      ) : (
        <table className="data">
          <caption className="visually-hidden">Metrics that differ between A and B</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className="num">
                A
              </th>
              <th scope="col" className="num">
                B
              </th>
              <th scope="col" className="num">
                B − A
              </th>
            </tr>
          </thead>
          <tbody>
            {comparison.metricDeltas.map((d) => (
              <tr key={d.metric}>
                <th scope="row">
                  <code>{d.metric}</code>
                </th>
                <td className="num">{formatMetricValue(d.metric, d.a)}</td>
                <td className="num">{formatMetricValue(d.metric, d.b)}</td>
                <td className="num" title={d.direction.toLowerCase()}>
                  <MetricDelta metric={d.metric} from={d.a} to={d.b} direction={d.direction} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
