import { useCallback, useState, type ReactNode } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { pollIntervalMs, runSubscriptionsEnabled, runUpdatedSubscription, type RunUpdate } from '../api/client';
import {
  CancelRunDocument,
  RunResultsDocument,
  RunStatusDocument,
  type RunResultsQuery,
} from '../api/generated/graphql';
import { RunSeriesCharts } from '../components/charts';
import { ProgressBar, QueryStatus, Section, StatusBadge, VerdictBadge, SeverityBadge } from '../components/common';
import { ViolationsTable } from '../components/violations-table';
import { ExportButtons } from '../api/exports';
import {
  asReport,
  downloadText,
  formatBytes,
  formatCount,
  formatOverlays,
  formatTime,
  reportToMarkdown,
  shortId,
  type ReportView,
} from '../format';
import { Link } from '../router';
import { formatMetricValue, groupMetrics } from '../metric-info';
import { finalStatuses, usePolling } from './use-polling';
import { useRunViolations } from './use-run-violations';

const seriesMetrics = ['swiotlb.used', 'swiotlb.bouncedBytes', 'failedMaps', 'atomicPool.used'];
const kernelLogExcerptLines = 40;

function Metrics({ metrics }: { metrics: NonNullable<RunResultsQuery['metrics']> }): ReactNode {
  const [showAll, setShowAll] = useState(false);
  const headline: Array<[string, string]> = [
    ['nslabs (pool slots)', formatCount(metrics.nslabs)],
    ['areas', formatCount(metrics.nareas)],
    ['slots used at end', formatCount(metrics.used)],
    [
      'high-water mark',
      `${formatCount(metrics.hiwater)} (${((metrics.hiwater / Math.max(1, metrics.nslabs)) * 100).toFixed(1)} %)`,
    ],
    ['failed streaming maps', formatCount(metrics.failedMaps)],
    ['failed coherent allocs', formatCount(metrics.failedCoherentAllocs)],
    ['bounced to device', formatBytes(metrics.bouncedBytesToDevice)],
    ['bounced from device', formatBytes(metrics.bouncedBytesFromDevice)],
  ];
  const all =
    typeof metrics.all === 'object' && metrics.all !== null
      ? Object.entries(metrics.all as Record<string, unknown>)
      : [];
  return (
    <>
      <dl className="metric-grid">
        {headline.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <button type="button" aria-expanded={showAll} onClick={() => setShowAll(!showAll)}>
        {showAll ? 'Hide' : 'Show'} all {all.length} metrics, grouped, with units and meanings
      </button>
      {showAll ? (
        <table className="data metrics-all">
          <caption className="visually-hidden">All metrics</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className="num">
                Value
              </th>
              <th scope="col">Meaning</th>
            </tr>
          </thead>
          {groupMetrics(all).map(({ group, rows }) => (
            <tbody key={group}>
              <tr className="group">
                <th scope="rowgroup" colSpan={3}>
                  {group}
                </th>
              </tr>
              {rows.map(({ key, value, info }) => (
                <tr key={key}>
                  <th scope="row">
                    <code>{key}</code>
                  </th>
                  <td className="num">{formatMetricValue(key, value)}</td>
                  <td>{info.description}</td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      ) : null}
    </>
  );
}

function Failures({ report }: { report: ReportView }): ReactNode {
  const failures = report.failures ?? [];
  if (failures.length === 0) return <p className="muted">No allocation or mapping failures.</p>;
  return (
    <table className="data">
      <caption className="visually-hidden">Failures</caption>
      <thead>
        <tr>
          <th scope="col">Class</th>
          <th scope="col">Severity</th>
          <th scope="col">Device</th>
          <th scope="col" className="num">
            Count
          </th>
          <th scope="col">Rule</th>
          <th scope="col">Explanation</th>
        </tr>
      </thead>
      <tbody>
        {failures.map((f) => (
          <tr key={`${f.class}-${f.deviceId}-${f.rule}-${f.firstOp}`}>
            <td>{f.class}</td>
            <td>
              <SeverityBadge severity={f.severity} />
            </td>
            <td>{f.deviceId}</td>
            <td className="num">{formatCount(f.count)}</td>
            <td>{f.rule}</td>
            <td>
              {f.explanation}
              {f.kernelLogLine ? (
                <div>
                  <code>{f.kernelLogLine}</code>
                </div>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Results({ runId }: { runId: string }): ReactNode {
  const [{ data, fetching, error }] = useQuery({
    query: RunResultsDocument,
    variables: { id: runId, metrics: seriesMetrics },
  });
  const violations = useRunViolations(runId);
  if (!data) return <QueryStatus fetching={fetching} error={error} what="the results" />;
  const report = asReport(data.report);
  const kernelLog = report?.kernelLog ?? [];
  return (
    <>
      {report ? (
        <Section title="Verdict">
          <p className="verdict">
            <VerdictBadge verdict={report.summary?.verdict ?? 'unknown'} /> {formatCount(report.summary?.operations)}{' '}
            operations · {formatCount(report.summary?.violations)} violations · {formatCount(report.summary?.failures)}{' '}
            failures · platform <code>{report.platform}</code>
          </p>
          <div className="actions">
            <button
              type="button"
              onClick={() =>
                downloadText(
                  `run-${runId}.engine-report.json`,
                  JSON.stringify(data.report, null, 2),
                  'application/json',
                )
              }
            >
              Download report (JSON)
            </button>
            <button
              type="button"
              onClick={() =>
                downloadText(`run-${runId}.engine-report.md`, reportToMarkdown(runId, report), 'text/markdown')
              }
            >
              Download report (Markdown)
            </button>
          </div>
          <ExportButtons kind="runs" id={runId} label="CI exports of this run" />
        </Section>
      ) : null}
      <Section title="Violations">
        {violations.error ? (
          <p className="error" role="alert">
            Could not load the violations: {violations.error}
          </p>
        ) : null}
        {violations.loading ? (
          <p aria-live="polite">
            Loading violations ({violations.violations.length} of {violations.totalCount || '…'})…
          </p>
        ) : (
          <ViolationsTable violations={violations.violations} />
        )}
      </Section>
      {report ? (
        <Section title="Failures">
          <Failures report={report} />
        </Section>
      ) : null}
      {data.metrics ? (
        <Section title="Allocator metrics">
          <Metrics metrics={data.metrics} />
        </Section>
      ) : null}
      <Section title="Time series">
        <RunSeriesCharts series={data.series} nslabs={data.metrics?.nslabs ?? null} />
      </Section>
      <Section title="Kernel log">
        {kernelLog.length === 0 ? (
          <p className="muted">The kernel printed nothing.</p>
        ) : (
          <>
            <pre className="kernel-log" tabIndex={0} aria-label="Kernel log excerpt">
              {kernelLog
                .slice(0, kernelLogExcerptLines)
                .map((line) => `${line.op >= 0 ? `[op ${line.op}] ` : '[boot] '}${line.text}\n`)}
            </pre>
            {kernelLog.length > kernelLogExcerptLines ? (
              <p className="muted">
                First {kernelLogExcerptLines} of {kernelLog.length} lines; the full log is in the JSON report.
              </p>
            ) : null}
          </>
        )}
      </Section>
    </>
  );
}

/** One run: live status and progress, then verdict, violations, failures, metrics, plots and the kernel log. */
export function RunPage({ id, canSubmit }: { id: string; canSubmit: boolean }): ReactNode {
  const [{ data, fetching, error }, refetch] = useQuery({ query: RunStatusDocument, variables: { id } });
  const [update] = useSubscription<{ runUpdated: RunUpdate }>({
    query: runUpdatedSubscription,
    variables: { runId: id },
    pause: !runSubscriptionsEnabled,
  });
  const [cancelState, cancel] = useMutation(CancelRunDocument);
  const run = data?.run;
  const live = update.data?.runUpdated;
  const status = live?.status ?? run?.status;
  const progress = live?.progress ?? run?.progress ?? 0;
  const active = status !== undefined && !finalStatuses.has(status);
  const refresh = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  // Polling stays on as a fallback even with subscriptions: it also refreshes fields the subscription lacks.
  usePolling(active, runSubscriptionsEnabled ? pollIntervalMs * 5 : pollIntervalMs, refresh);

  if (!run) {
    return (
      <>
        <h1>Run</h1>
        <QueryStatus fetching={fetching} error={error} what="the run" />
        {(data && !run) || error?.graphQLErrors.some((e) => e.extensions?.['code'] === 'NOT_FOUND') ? (
          <p>No run with this id in your team.</p>
        ) : null}
      </>
    );
  }
  const errorCode = live?.errorCode ?? run.errorCode;
  const errorMessage = live?.errorMessage ?? run.errorMessage;
  return (
    <>
      <h1>
        Run {shortId(run.id)} <StatusBadge status={status ?? run.status} />
      </h1>
      <p>
        <Link to={`/scenarios/${run.scenario.id}`}>{run.scenario.name}</Link> v{run.scenarioVersion.version} · profile{' '}
        <code>{run.profile}</code> · {formatOverlays(run.overlays)} · seed {run.seed} · engine {run.engineVersion}
        {run.batchId ? (
          <>
            {' '}
            · <Link to={`/batches/${run.batchId}`}>batch {shortId(run.batchId)}</Link>
          </>
        ) : null}
      </p>
      <p className="muted">
        submitted {formatTime(run.createdAt)} · started {formatTime(live?.startedAt ?? run.startedAt)} · finished{' '}
        {formatTime(live?.finishedAt ?? run.finishedAt)} · attempts {run.attempts}
      </p>
      {active ? (
        <Section title="Progress">
          <ProgressBar value={progress} label="Run progress" />
          <p aria-live="polite">{status === 'QUEUED' ? 'Waiting for a worker…' : 'The engine is running…'}</p>
          {canSubmit ? (
            <button
              type="button"
              disabled={cancelState.fetching}
              onClick={() => void cancel({ id: run.id }).then(refresh)}
            >
              Cancel run
            </button>
          ) : null}
        </Section>
      ) : null}
      {errorCode || errorMessage ? (
        <p className="error" role="alert">
          {errorCode}: {errorMessage}
        </p>
      ) : null}
      {status === 'SUCCEEDED' ? <Results runId={run.id} /> : null}
    </>
  );
}
