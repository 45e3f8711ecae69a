import { useState, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { ScenariosDocument } from '../api/generated/graphql';
import { QueryStatus, Section } from '../components/common';
import { ImportTracePanel } from '../components/import-trace-panel';
import { formatTime } from '../format';
import { Link } from '../router';

/** The team's scenarios, filterable by name. */
export function ScenariosPage(): ReactNode {
  const [name, setName] = useState('');
  const [{ data, fetching, error }] = useQuery({
    query: ScenariosDocument,
    variables: { first: 100, filter: name ? { nameContains: name } : null },
  });
  return (
    <>
      <h1>Scenarios</h1>
      <p>
        <Link to="/scenarios/new">New scenario</Link>: paste or upload a spec, checked as you type.
      </p>
      <div className="filters">
        <label>
          Name contains
          <input type="search" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {data ? <span className="muted">{data.scenarios.totalCount} scenarios</span> : null}
      </div>
      <QueryStatus fetching={fetching && !data} error={error} what="scenarios" />
      {data ? (
        <table className="data">
          <caption className="visually-hidden">Scenarios</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Tags</th>
              <th scope="col" className="num">
                Version
              </th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {data.scenarios.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link to={`/scenarios/${node.id}`}>{node.name}</Link>
                </td>
                <td className="clip">{node.description}</td>
                <td>{node.tags.join(', ')}</td>
                <td className="num">{node.latestVersion.version}</td>
                <td>{formatTime(node.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Section title="Import trace">
        <ImportTracePanel />
      </Section>
    </>
  );
}
