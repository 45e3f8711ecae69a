import { useState, type FormEvent, type ReactNode } from 'react';
import { useQuery } from 'urql';
import {
  CompareRunsDocument,
  RecentRunsDocument,
  RunBatchDocument,
  type RunSummaryFragment,
} from '../api/generated/graphql';
import { QueryStatus, Section, StatusBadge } from '../components/common';
import { CompareView } from '../components/compare-view';
import { formatOverlays, shortId } from '../format';
import { Link, navigate } from '../router';

function runLabel(run: RunSummaryFragment): string {
  return `${shortId(run.id)} · ${run.scenario.name} · ${run.profile} · ${formatOverlays(run.overlays)} · ${run.status.toLowerCase()}`;
}

function PairComparison({ a, b }: { a: string; b: string }): ReactNode {
  const [{ data, fetching, error }] = useQuery({ query: CompareRunsDocument, variables: { a, b } });
  if (!data) return <QueryStatus fetching={fetching} error={error} what="the comparison" />;
  return <CompareView comparison={data.compareRuns} />;
}

function BatchComparison({ batchId }: { batchId: string }): ReactNode {
  const [{ data, fetching, error }] = useQuery({ query: RunBatchDocument, variables: { id: batchId } });
  const [baseline, setBaseline] = useState<string | null>(null);
  const [candidate, setCandidate] = useState<string | null>(null);
  const runs = data?.runBatch?.runs ?? [];
  if (!data?.runBatch) return <QueryStatus fetching={fetching} error={error} what="the batch" />;
  const a = baseline ?? runs[0]?.id ?? null;
  const b = candidate ?? runs.find((r) => r.id !== a)?.id ?? null;
  return (
    <>
      <Section title="Matrix columns">
        <p className="muted">Pick the baseline (A) and the column to compare with it (B).</p>
        <table className="data">
          <caption className="visually-hidden">Runs of the batch</caption>
          <thead>
            <tr>
              <th scope="col">Baseline (A)</th>
              <th scope="col">Candidate (B)</th>
              <th scope="col">Run</th>
              <th scope="col">Profile</th>
              <th scope="col">Overlays</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <td>
                  <input
                    type="radio"
                    name="baseline"
                    aria-label={`Use ${runLabel(run)} as baseline`}
                    checked={a === run.id}
                    onChange={() => setBaseline(run.id)}
                  />
                </td>
                <td>
                  <input
                    type="radio"
                    name="candidate"
                    aria-label={`Compare ${runLabel(run)} with the baseline`}
                    checked={b === run.id}
                    onChange={() => setCandidate(run.id)}
                  />
                </td>
                <td>
                  <Link to={`/runs/${run.id}`}>{shortId(run.id)}</Link>
                </td>
                <td>
                  <code>{run.profile}</code>
                </td>
                <td>{formatOverlays(run.overlays)}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {a && b && a !== b ? <PairComparison a={a} b={b} /> : <p className="muted">Choose two different runs.</p>}
    </>
  );
}

function RunPicker({ a, b }: { a: string | null; b: string | null }): ReactNode {
  const [{ data }] = useQuery({
    query: RecentRunsDocument,
    variables: { first: 50, filter: { status: ['SUCCEEDED'] } },
  });
  const [left, setLeft] = useState(a ?? '');
  const [right, setRight] = useState(b ?? '');
  const runs = data?.runs.edges.map((e) => e.node) ?? [];
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (left && right) navigate(`/compare?a=${encodeURIComponent(left)}&b=${encodeURIComponent(right)}`);
  };
  const options = (current: string): ReactNode => (
    <>
      <option value="">choose a run…</option>
      {current && !runs.some((r) => r.id === current) ? <option value={current}>{current}</option> : null}
      {runs.map((run) => (
        <option key={run.id} value={run.id}>
          {runLabel(run)}
        </option>
      ))}
    </>
  );
  return (
    <form className="filters" onSubmit={submit} aria-label="Choose two runs">
      <label>
        Run A (baseline)
        <select value={left} onChange={(e) => setLeft(e.target.value)}>
          {options(left)}
        </select>
      </label>
      <label>
        Run B (candidate)
        <select value={right} onChange={(e) => setRight(e.target.value)}>
          {options(right)}
        </select>
      </label>
      <button type="submit" className="primary" disabled={!left || !right || left === right}>
        Compare
      </button>
    </form>
  );
}

/** Two runs side by side, or the columns of a matrix batch: "does patch Y fix my device on kernel X". */
export function ComparePage({ a, b, batch }: { a: string | null; b: string | null; batch: string | null }): ReactNode {
  return (
    <>
      <h1>Compare</h1>
      {batch ? (
        <>
          <p>
            Matrix batch <Link to={`/batches/${batch}`}>{shortId(batch)}</Link>
          </p>
          <BatchComparison batchId={batch} />
        </>
      ) : (
        <>
          <RunPicker key={`${a}-${b}`} a={a} b={b} />
          {a && b ? (
            <PairComparison a={a} b={b} />
          ) : (
            <p className="muted">Choose a baseline run and a candidate run.</p>
          )}
        </>
      )}
    </>
  );
}
