import type { ReactNode } from 'react';
import type { MetricDirection, RunSummaryFragment } from '../api/generated/graphql';
import { formatOverlays, shortId } from '../format';
import { formatMetricDelta } from '../metric-info';
import { Link } from '../router';
import { StatusBadge, VerdictBadge } from './common';

// The pieces the pairwise comparison (CompareView) and the N-run comparison (RunSetView) show alike,
// so a run's head card and a metric's delta read the same on both.

/** A compared run's card: its role in the comparison, link, status, verdict, scenario and kernel. */
export function RunHead({
  run,
  title,
  children,
}: {
  run: RunSummaryFragment;
  title: string;
  children?: ReactNode;
}): ReactNode {
  return (
    <div className="card compare-head">
      <h3>{title}</h3>
      <p>
        <Link to={`/runs/${run.id}`}>run {shortId(run.id)}</Link> <StatusBadge status={run.status} />{' '}
        {run.verdict ? <VerdictBadge verdict={run.verdict.toLowerCase().replace('_', '-')} /> : null}
      </p>
      <p>
        <strong>{run.scenario.name}</strong>
      </p>
      <p>
        profile <code>{run.profile}</code>, {formatOverlays(run.overlays)}
      </p>
      {children}
    </div>
  );
}

/** The change of `metric` from `from` to `to`, coloured by its direction and, where it has one, said in words. */
export function MetricDelta({
  metric,
  from,
  to,
  direction,
}: {
  metric: string;
  from: unknown;
  to: unknown;
  direction: MetricDirection;
}): ReactNode {
  return (
    <>
      <span className={`delta-${direction.toLowerCase()}`}>{formatMetricDelta(metric, from, to)}</span>
      {direction === 'BETTER' ? ' better' : direction === 'WORSE' ? ' worse' : null}
    </>
  );
}
