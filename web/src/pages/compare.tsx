import { useState, type FormEvent, type ReactNode } from 'react';
import { useQuery } from 'urql';
import {
  CompareRunSetDocument,
  CompareRunsDocument,
  RecentRunsDocument,
  RunBatchDocument,
  type RunSummaryFragment,
} from '../api/generated/graphql';
import { QueryStatus, Section, StatusBadge } from '../components/common';
import { CompareView } from '../components/compare-view';
import { columnLetter, RunSetView } from '../components/run-set-view';
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

function SetComparison({ runIds }: { runIds: readonly string[] }): ReactNode {
  const [{ data, fetching, error }] = useQuery({ query: CompareRunSetDocument, variables: { runIds: [...runIds] } });
  if (!data) return <QueryStatus fetching={fetching} error={error} what="the comparison" />;
  return <RunSetView comparison={data.compareRunSet} />;
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
      {a && runs.length > 2 ? (
        <p>
          <Link to={compareUrl([a, ...runs.map((r) => r.id).filter((id) => id !== a)])}>
            All {runs.length} columns against the baseline
          </Link>
        </p>
      ) : null}
      {a && b && a !== b ? <PairComparison a={a} b={b} /> : <p className="muted">Choose two different runs.</p>}
    </>
  );
}

/** Most runs one comparison takes (the baseline and seven more). */
const maxRuns = 8;

/** Two runs open the pair view (every violation, filterable); more open the columns view. */
function compareUrl(runIds: readonly string[]): string {
  const [a, b, ...more] = runIds;
  if (a && b && more.length === 0) return `/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
  return `/compare?runs=${runIds.map(encodeURIComponent).join(',')}`;
}

function RunPicker({ initial }: { initial: readonly string[] }): ReactNode {
  const [{ data }] = useQuery({
    query: RecentRunsDocument,
    variables: { first: 50, filter: { status: ['SUCCEEDED'] } },
  });
  const [chosen, setChosen] = useState<string[]>(() => [...initial, '', ''].slice(0, Math.max(2, initial.length)));
  const runs = data?.runs.edges.map((e) => e.node) ?? [];
  const picked = chosen.filter(Boolean);
  const canCompare = picked.length === chosen.length && new Set(picked).size === picked.length;
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (canCompare) navigate(compareUrl(chosen));
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
  const set = (index: number, id: string): void => setChosen(chosen.map((c, i) => (i === index ? id : c)));
  return (
    <form className="filters" onSubmit={submit} aria-label="Choose runs to compare">
      {chosen.map((id, index) => (
        <span key={index} className="picker-slot">
          <label>
            {`Run ${columnLetter(index)}${index === 0 ? ' (baseline)' : index === 1 && chosen.length === 2 ? ' (candidate)' : ''}`}
            <select value={id} onChange={(e) => set(index, e.target.value)}>
              {options(id)}
            </select>
          </label>
          {index >= 2 ? (
            <button
              type="button"
              aria-label={`Remove run ${columnLetter(index)}`}
              onClick={() => setChosen(chosen.filter((_, i) => i !== index))}
            >
              ×
            </button>
          ) : null}
        </span>
      ))}
      <button type="button" disabled={chosen.length >= maxRuns} onClick={() => setChosen([...chosen, ''])}>
        Add a run
      </button>
      <button type="submit" className="primary" disabled={!canCompare}>
        Compare
      </button>
    </form>
  );
}

/**
 * Two runs side by side, 3–8 runs as columns against the first, or the columns of a matrix batch:
 * "does patch Y fix my device on kernel X, and on kernel Z".
 */
export function ComparePage({
  a,
  b,
  batch,
  runs,
}: {
  a: string | null;
  b: string | null;
  batch: string | null;
  runs: readonly string[] | null;
}): ReactNode {
  const chosen = runs ?? [a, b].filter((id): id is string => id !== null);
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
          <RunPicker key={chosen.join(',')} initial={chosen} />
          {runs && runs.length >= 2 ? (
            <SetComparison runIds={runs} />
          ) : a && b ? (
            <PairComparison a={a} b={b} />
          ) : (
            <p className="muted">Choose a baseline run and one or more runs to compare with it.</p>
          )}
        </>
      )}
    </>
  );
}
