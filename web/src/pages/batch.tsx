import { useCallback, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { pollIntervalMs } from '../api/client';
import { ExportButtons } from '../api/exports';
import { RunBatchDocument } from '../api/generated/graphql';
import { ProgressBar, QueryStatus, Section, StatusBadge } from '../components/common';
import { formatTime, shortId } from '../format';
import { Link } from '../router';
import { RunsTable } from './runs-table';
import { finalStatuses, usePolling } from './use-polling';

/**
 * A batch's progress from its runs' own progress: a finished run counts 1, a running one its
 * progress (0–1), a queued one 0; so two runs half-way show 50 %, not 0 % until one ends.
 */
export function batchProgress(runs: ReadonlyArray<{ status: string; progress: number }>): number {
  if (runs.length === 0) return 0;
  const sum = runs.reduce(
    (total, run) => total + (finalStatuses.has(run.status) ? 1 : Math.max(0, Math.min(1, run.progress))),
    0,
  );
  return sum / runs.length;
}

/** A matrix batch: its runs with live status until every run has ended, then a link to compare them. */
export function BatchPage({ id }: { id: string }): ReactNode {
  const [{ data, fetching, error }, refetch] = useQuery({ query: RunBatchDocument, variables: { id } });
  const batch = data?.runBatch;
  const active = batch
    ? !finalStatuses.has(batch.status) || batch.runs.some((r) => !finalStatuses.has(r.status))
    : false;
  const refresh = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  usePolling(active, pollIntervalMs, refresh);
  if (!batch) {
    return (
      <>
        <h1>Batch</h1>
        <QueryStatus fetching={fetching} error={error} what="the batch" />
        {data && !batch ? <p>No batch with this id in your team.</p> : null}
      </>
    );
  }
  const done = batch.runs.filter((r) => finalStatuses.has(r.status)).length;
  return (
    <>
      <h1>
        Batch {shortId(batch.id)} <StatusBadge status={batch.status} />
      </h1>
      <p className="muted">
        submitted {formatTime(batch.createdAt)} · finished {formatTime(batch.finishedAt)}
      </p>
      <Section title="Progress">
        <ProgressBar value={batchProgress(batch.runs)} label="Batch progress" />
        <p aria-live="polite">
          {done} of {batch.runs.length} runs finished
        </p>
        {!active ? (
          <p>
            <Link to={`/compare?batch=${batch.id}`} className="button primary">
              Compare the batch side by side
            </Link>
          </p>
        ) : null}
        {!active ? <ExportButtons kind="run-batches" id={batch.id} label="CI exports of this batch" /> : null}
      </Section>
      <Section title="Runs">
        <RunsTable runs={batch.runs} caption="Runs of this batch" />
      </Section>
    </>
  );
}
