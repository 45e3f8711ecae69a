import { useMemo, useState, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { OverviewDocument, ScenariosDocument, SubmitRunDocument } from '../api/generated/graphql';
import { QueryStatus, Section } from '../components/common';
import {
  HeadroomChart,
  RiskiestScenariosChart,
  RunsByStatusChart,
  scenarioRiskKey,
  ViolationsByClassChart,
} from '../components/charts';
import { formatKernel } from '../format';
import { Link } from '../router';
import { RunsTable } from './runs-table';

/**
 * What an empty team does next: run every scenario it has (the demo team starts with the bundled
 * examples), or create one from a spec; and the commands that do the same without the dashboard.
 */
export function GettingStarted({ canSubmit, onSubmitted }: { canSubmit: boolean; onSubmitted: () => void }): ReactNode {
  const [{ data }] = useQuery({ query: ScenariosDocument, variables: { first: 100 } });
  const [, submitRun] = useMutation(SubmitRunDocument);
  const [state, setState] = useState<{ submitted: number; failed: string[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const scenarios = data?.scenarios.edges.map((e) => e.node) ?? [];

  const runAll = async (): Promise<void> => {
    setBusy(true);
    const stamp = Date.now();
    let submitted = 0;
    const failed: string[] = [];
    for (const scenario of scenarios) {
      const result = await submitRun({
        input: { scenarioId: scenario.id, idempotencyKey: `examples-${stamp}-${scenario.id}` },
      });
      if (result.data?.submitRun.__typename === 'RunSubmitted') submitted++;
      else failed.push(scenario.name);
    }
    setState({ submitted, failed });
    setBusy(false);
    onSubmitted();
  };

  return (
    <Section title="Get started">
      <p>No runs in this team yet: the charts below fill in as runs finish.</p>
      {scenarios.length > 0 ? (
        <>
          <p>
            This team has {scenarios.length} scenario{scenarios.length === 1 ? '' : 's'}
            {scenarios.length > 1 ? ' (the demo team starts with the bundled examples)' : ''}. Run each once under its
            own kernel profile:
          </p>
          {canSubmit ? (
            <button type="button" disabled={busy} onClick={() => void runAll()}>
              {busy ? 'Submitting…' : `Run the examples (${scenarios.length} runs)`}
            </button>
          ) : (
            <p className="muted">Submitting runs needs a member or admin token.</p>
          )}
          {state ? (
            <p aria-live="polite">
              Submitted {state.submitted} runs; they appear under Recent runs as workers pick them up.
              {state.failed.length > 0 ? ` Not submitted: ${state.failed.join(', ')}.` : ''}
            </p>
          ) : null}
        </>
      ) : (
        <p>
          This team has no scenarios yet. <Link to="/scenarios/new">Create one from a spec</Link> (the files in{' '}
          <code>examples/</code> are complete specs).
        </p>
      )}
      <p className="muted">
        Without the dashboard: <code>npx dmasim demo</code> runs every example locally;{' '}
        <code>npx dmasim run examples/s04-hyperv-snp-confidential-storvsc.yaml</code> runs one; the README&apos;s
        &quot;Using the API&quot; section submits one through the API with curl.
      </p>
    </Section>
  );
}

/** Team overview over the last 30 days: run outcomes, violations, riskiest scenarios, SWIOTLB headroom. */
export function OverviewPage({ canSubmit }: { canSubmit: boolean }): ReactNode {
  const range = useMemo(() => ({ from: new Date(Date.now() - 30 * 86_400_000).toISOString() }), []);
  const [{ data, fetching, error }, refetch] = useQuery({ query: OverviewDocument, variables: { range } });
  const dashboard = data?.dashboard;
  return (
    <>
      <h1>Overview</h1>
      <p className="muted">The last 30 days of your team&apos;s runs.</p>
      <QueryStatus fetching={fetching && !data} error={error} what="the overview" />
      {data && data.runs.totalCount === 0 ? (
        <GettingStarted canSubmit={canSubmit} onSubmitted={() => refetch({ requestPolicy: 'network-only' })} />
      ) : null}
      {dashboard ? (
        <div className="chart-grid">
          <Section title="Runs">
            <RunsByStatusChart rows={dashboard.runsByStatus} />
          </Section>
          <Section title="Violations">
            <ViolationsByClassChart rows={dashboard.violationsByClass} />
          </Section>
          <Section title="Riskiest scenarios">
            <RiskiestScenariosChart rows={dashboard.riskiestScenarios} />
            <ol className="compact">
              {dashboard.riskiestScenarios.slice(0, 10).map((r) => (
                <li key={scenarioRiskKey(r)}>
                  <Link to={`/scenarios/${r.scenario.id}`}>{r.scenario.name}</Link> under{' '}
                  <code>{formatKernel(r.profile, r.overlays)}</code>:{' '}
                  <Link to={`/runs/${r.runId}`}>{r.openCriticalViolations} open critical</Link>
                </li>
              ))}
            </ol>
          </Section>
          <Section title="SWIOTLB headroom">
            <HeadroomChart series={dashboard.headroom} />
          </Section>
        </div>
      ) : null}
      {data ? (
        <Section title="Recent runs">
          <RunsTable runs={data.runs.edges.map((e) => e.node)} caption="Recent runs" />
        </Section>
      ) : null}
    </>
  );
}
