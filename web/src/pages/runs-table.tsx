import type { ReactNode } from 'react';
import type { RunSummaryFragment } from '../api/generated/graphql';
import { ProgressBar, StatusBadge, VerdictBadge } from '../components/common';
import { formatOverlays, formatTime, shortId } from '../format';
import { Link } from '../router';

/** A GraphQL RunVerdict (EXPOSES_SECRETS) as the report names it (exposes-secrets). */
export function verdictName(verdict: string): string {
  return verdict.toLowerCase().replace('_', '-');
}

/** Runs with status (a progress bar while running), profile, overlays and links to run and scenario. */
export function RunsTable({
  runs,
  caption,
  showScenario = true,
}: {
  runs: readonly RunSummaryFragment[];
  caption: string;
  showScenario?: boolean;
}): ReactNode {
  if (runs.length === 0) return <p className="muted">No runs yet.</p>;
  return (
    <table className="data">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Run</th>
          {showScenario ? <th scope="col">Scenario</th> : null}
          <th scope="col">Status</th>
          <th scope="col">Verdict</th>
          <th scope="col">Profile</th>
          <th scope="col">Overlays</th>
          <th scope="col">Trigger</th>
          <th scope="col">Submitted</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id}>
            <td>
              <Link to={`/runs/${run.id}`}>{shortId(run.id)}</Link>
            </td>
            {showScenario ? (
              <td>
                <Link to={`/scenarios/${run.scenario.id}`}>{run.scenario.name}</Link>
              </td>
            ) : null}
            <td>
              {run.status === 'RUNNING' ? (
                <ProgressBar value={run.progress} label={`Progress of run ${shortId(run.id)}`} />
              ) : (
                <StatusBadge status={run.status} />
              )}
            </td>
            <td>
              {run.verdict ? (
                <span title={`every level that applies: ${(run.summary?.levels ?? []).map(verdictName).join(', ')}`}>
                  <VerdictBadge verdict={verdictName(run.verdict)} />
                </span>
              ) : (
                <span className="muted">–</span>
              )}
            </td>
            <td>
              <code>{run.profile}</code>
            </td>
            <td>{formatOverlays(run.overlays)}</td>
            <td>{run.trigger.toLowerCase()}</td>
            <td>{formatTime(run.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
