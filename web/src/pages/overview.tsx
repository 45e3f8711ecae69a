import { useMemo, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { OverviewDocument } from '../api/generated/graphql';
import { QueryStatus, Section } from '../components/common';
import { HeadroomChart, RiskiestScenariosChart, RunsByStatusChart, ViolationsByClassChart } from '../components/charts';
import { Link } from '../router';
import { RunsTable } from './runs-table';

/** Team overview over the last 30 days: run outcomes, violations, riskiest scenarios, SWIOTLB headroom. */
export function OverviewPage(): ReactNode {
  const range = useMemo(() => ({ from: new Date(Date.now() - 30 * 86_400_000).toISOString() }), []);
  const [{ data, fetching, error }] = useQuery({ query: OverviewDocument, variables: { range } });
  const dashboard = data?.dashboard;
  return (
    <>
      <h1>Overview</h1>
      <p className="muted">The last 30 days of your team&apos;s runs.</p>
      <QueryStatus fetching={fetching && !data} error={error} what="the overview" />
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
                <li key={r.scenario.id}>
                  <Link to={`/scenarios/${r.scenario.id}`}>{r.scenario.name}</Link>: {r.openCriticalViolations} open
                  critical
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
