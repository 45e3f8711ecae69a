import { Fragment, useCallback, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { CronExpressionParser } from 'cron-parser/dist/CronExpressionParser';
import { ExportButtons } from '../api/exports';
import {
  AcknowledgeViolationDocument,
  PauseScheduleDocument,
  RegressionsDocument,
  ReopenViolationDocument,
  ResumeScheduleDocument,
  RunScheduleNowDocument,
  TriageQueueDocument,
  WaiveViolationDocument,
  type RegressionsQuery,
  type TriageState,
  type TriageQueueQuery,
} from '../api/generated/graphql';
import { QueryStatus, Section, SeverityBadge, StatusBadge, VerdictBadge } from '../components/common';
import { formatBytes, formatKernel, formatTime, shortId } from '../format';
import { LegendLink } from '../components/violations-table';
import { Link } from '../router';

/** When a cron pattern next fires in its time zone, or null when it cannot be parsed. */
export function nextFiring(cron: string, timeZone: string, now: Date = new Date()): Date | null {
  try {
    return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: now }).next().toDate();
  } catch {
    return null;
  }
}

function userErrorText(
  payload: { __typename: string; userErrors?: ReadonlyArray<{ message: string }> } | undefined,
  error: { graphQLErrors: ReadonlyArray<{ message: string }>; message: string } | undefined,
): string | null {
  if (payload?.userErrors) return payload.userErrors.map((e) => e.message).join('; ');
  if (error) return error.graphQLErrors[0]?.message ?? error.message;
  return null;
}

type SuiteRow = RegressionsQuery['suites'][number];

function Counts({ counts }: { counts: NonNullable<SuiteRow['batches'][number]['comparison']>['counts'] }): ReactNode {
  const items: Array<[string, number]> = [
    ['new', counts.new],
    ['fixed', counts.fixed],
    ['persisting', counts.persisting],
    ['moved', counts.moved],
    ['reopened', counts.reopened],
    ['waived', counts.waived],
    ['threshold breaches', counts.thresholdBreaches],
  ];
  return (
    <ul className="counts" aria-label="Finding counts">
      {items.map(([label, value]) => (
        <li key={label}>
          <strong>{value}</strong> {label}
        </li>
      ))}
    </ul>
  );
}

/** Each suite with its newest batch and that batch's comparison with the baseline. */
function Suites({ suites }: { suites: RegressionsQuery['suites'] }): ReactNode {
  if (suites.length === 0)
    return (
      <p className="muted">No regression suites in this team yet (createSuite in the API, see docs/regressions.md).</p>
    );
  return (
    <>
      {suites.map((suite) => {
        const batch = suite.batches[0];
        const comparison = batch?.comparison ?? null;
        const breaches =
          comparison?.entries.flatMap((e) =>
            e.metrics.filter((m) => m.breached).map((m) => ({ entry: `${e.scenarioName} × ${e.entryName}`, ...m })),
          ) ?? [];
        return (
          <article key={suite.id} className="suite" aria-labelledby={`suite-${suite.id}`}>
            <h3 id={`suite-${suite.id}`}>
              {suite.name}{' '}
              {comparison ? (
                <VerdictBadge verdict={comparison.verdict} />
              ) : batch ? (
                <StatusBadge status={batch.status} />
              ) : null}
            </h3>
            <p className="muted">
              {suite.entries.map((e) => `${e.name} (${formatKernel(e.profile, e.overlays)})`).join(', ')} · baseline{' '}
              {suite.baselinePolicy.toLowerCase().replace('_', ' ')}
              {suite.description ? ` · ${suite.description}` : ''}
            </p>
            {!batch ? <p className="muted">Never run.</p> : null}
            {batch && !comparison ? (
              <p aria-live="polite">
                Latest batch {shortId(batch.id)}: {batch.runsFinished} of {batch.runsTotal} runs finished (started{' '}
                {formatTime(batch.createdAt)}).
              </p>
            ) : null}
            {batch && comparison ? (
              <>
                <p>
                  Latest batch {shortId(batch.id)} ({batch.trigger.toLowerCase()}, finished{' '}
                  {formatTime(batch.finishedAt)})
                  {comparison.baselineBatchId
                    ? ` compared with baseline ${shortId(comparison.baselineBatchId)}`
                    : ' — no baseline yet'}
                  {batch.acceptedAt ? ' · accepted as baseline' : ''}
                  {batch.runBatchIds.map((runBatchId) => (
                    <Fragment key={runBatchId}>
                      {' · '}
                      <Link to={`/batches/${runBatchId}`}>runs of batch {shortId(runBatchId)}</Link>
                    </Fragment>
                  ))}
                </p>
                <Counts counts={comparison.counts} />
                {breaches.length > 0 ? (
                  <ul className="breaches" aria-label="Threshold breaches">
                    {breaches.map((b) => (
                      <li key={`${b.entry}/${b.metric}`}>
                        <code>{b.metric}</code> on {b.entry}: {b.breachReason ?? 'threshold broken'}
                      </li>
                    ))}
                  </ul>
                ) : null}
                <table className="data">
                  <caption className="visually-hidden">Comparison of {suite.name}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Scenario</th>
                      <th scope="col">Entry</th>
                      <th scope="col">Verdict</th>
                      <th scope="col">Runs</th>
                    </tr>
                  </thead>
                  <tbody>
                    {comparison.entries.map((e) => (
                      <tr key={`${e.scenarioName}/${e.entryName}/${e.candidateRunId}`}>
                        <td>{e.scenarioName}</td>
                        <td>
                          {e.entryName}{' '}
                          <span className="muted">
                            (
                            {formatKernel(
                              e.profile,
                              suite.entries.find((entry) => entry.name === e.entryName)?.overlays ?? [],
                            )}
                            )
                          </span>
                        </td>
                        <td>
                          <VerdictBadge verdict={e.verdict} />
                        </td>
                        <td>
                          {e.baselineRunId ? (
                            <Link to={`/compare?a=${e.baselineRunId}&b=${e.candidateRunId}`}>
                              compare with baseline
                            </Link>
                          ) : (
                            <Link to={`/runs/${e.candidateRunId}`}>candidate run</Link>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <ExportButtons kind="batches" id={batch.id} label={`CI exports of ${suite.name}'s latest batch`} />
              </>
            ) : null}
          </article>
        );
      })}
    </>
  );
}

/** Cron schedules of the team's suites, with pause / resume / run now for members. */
function Schedules({
  schedules,
  canManage,
  onChanged,
}: {
  schedules: RegressionsQuery['schedules'];
  canManage: boolean;
  onChanged: () => void;
}): ReactNode {
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [pauseState, pause] = useMutation(PauseScheduleDocument);
  const [resumeState, resume] = useMutation(ResumeScheduleDocument);
  const [runState, runNow] = useMutation(RunScheduleNowDocument);
  const busy = pauseState.fetching || resumeState.fetching || runState.fetching;
  if (schedules.length === 0) return <p className="muted">No schedules yet.</p>;
  const toggle = async (id: string, name: string, paused: boolean): Promise<void> => {
    const result = paused ? await resume({ id }) : await pause({ id });
    const payload = paused
      ? (
          result.data as
            { resumeSchedule?: { __typename: string; userErrors?: ReadonlyArray<{ message: string }> } } | undefined
        )?.resumeSchedule
      : (
          result.data as
            { pauseSchedule?: { __typename: string; userErrors?: ReadonlyArray<{ message: string }> } } | undefined
        )?.pauseSchedule;
    const problem =
      payload?.__typename === 'ScheduleSaved'
        ? null
        : (userErrorText(payload, result.error) ?? 'The server did not answer.');
    setMessage(
      problem ? { text: problem, error: true } : { text: `${name} ${paused ? 'resumed' : 'paused'}.`, error: false },
    );
    onChanged();
  };
  const fire = async (id: string, name: string): Promise<void> => {
    const result = await runNow({ id });
    const payload = result.data?.runScheduleNow;
    if (payload?.__typename === 'ScheduleRan')
      setMessage({
        text: payload.skipped
          ? `${name}: skipped, its previous batch is still running.`
          : `${name}: batch ${shortId(payload.batch?.id ?? '')} started.`,
        error: false,
      });
    else setMessage({ text: userErrorText(payload, result.error) ?? 'The server did not answer.', error: true });
    onChanged();
  };
  return (
    <>
      <table className="data">
        <caption className="visually-hidden">Schedules</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Suite</th>
            <th scope="col">Cron</th>
            <th scope="col">Time zone</th>
            <th scope="col">State</th>
            <th scope="col">Next run</th>
            <th scope="col">Last run</th>
            {canManage ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {schedules.map((s) => {
            const next = s.paused ? null : nextFiring(s.cron, s.timeZone);
            return (
              <tr key={s.id}>
                <td>{s.name}</td>
                <td>{s.suite.name}</td>
                <td>
                  <code>{s.cron}</code>
                </td>
                <td>{s.timeZone}</td>
                <td>
                  {s.paused ? (
                    <span className="badge status-cancelled">paused</span>
                  ) : (
                    <span className="badge status-succeeded">active</span>
                  )}
                </td>
                <td>{s.paused ? '—' : next ? formatTime(next.toISOString()) : 'unknown'}</td>
                <td>
                  {formatTime(s.lastFiredAt)}
                  {s.lastSkippedAt ? <span className="muted"> (skipped {formatTime(s.lastSkippedAt)})</span> : null}
                </td>
                {canManage ? (
                  <td>
                    <div className="actions">
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void toggle(s.id, s.name, s.paused)}
                        aria-label={`${s.paused ? 'Resume' : 'Pause'} schedule ${s.name}`}
                      >
                        {s.paused ? 'Resume' : 'Pause'}
                      </button>
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void fire(s.id, s.name)}
                        aria-label={`Run schedule ${s.name} now`}
                      >
                        Run now
                      </button>
                    </div>
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      {message ? (
        <p className={message.error ? 'error' : 'muted'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      ) : null}
    </>
  );
}

function WaiveForm({ fingerprint, onDone }: { fingerprint: string; onDone: () => void }): ReactNode {
  const [reason, setReason] = useState('');
  const [owner, setOwner] = useState('');
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [state, waive] = useMutation(WaiveViolationDocument);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const result = await waive({
      input: {
        fingerprint,
        reason,
        ...(owner.trim() ? { owner: owner.trim() } : {}),
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59Z`).toISOString() } : {}),
      },
    });
    const payload = result.data?.waiveViolation;
    if (payload?.__typename === 'Triage') onDone();
    else if (payload?.__typename === 'InputRejected') setError(payload.userErrors.map((e) => e.message).join('; '));
    else setError(result.error?.graphQLErrors[0]?.message ?? 'Waiving failed.');
  };
  return (
    <form className="waive" onSubmit={(e) => void submit(e)} aria-label={`Waive ${fingerprint}`}>
      <label>
        Reason
        <input required value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <label>
        Owner (optional)
        <input value={owner} onChange={(e) => setOwner(e.target.value)} />
      </label>
      <label>
        Expires (optional)
        <input
          type="date"
          value={expires}
          min={new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}
          onChange={(e) => setExpires(e.target.value)}
        />
      </label>
      <button type="submit" className="primary" disabled={state.fetching || !reason.trim()}>
        Waive
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

type TriageFinding = TriageQueueQuery['violations']['edges'][number]['node'];

const triageStates: readonly TriageState[] = ['OPEN', 'ACKNOWLEDGED', 'WAIVED', 'FIXED'];

function Triage({ canTriage }: { canTriage: boolean }): ReactNode {
  const [states, setStates] = useState<readonly TriageState[]>(['OPEN']);
  const [severity, setSeverity] = useState('critical');
  const [waiving, setWaiving] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: TriageQueueDocument,
    variables: { filter: { triageState: [...states], ...(severity ? { severity: [severity] } : {}) } },
  });
  const [, acknowledge] = useMutation(AcknowledgeViolationDocument);
  const [, reopen] = useMutation(ReopenViolationDocument);
  // Triage is per fingerprint: show each fingerprint once, with its newest finding (of the newest 30).
  const findings = useMemo(() => {
    const byFingerprint = new Map<string, TriageFinding>();
    for (const { node } of data?.violations.edges ?? [])
      if (!byFingerprint.has(node.fingerprint)) byFingerprint.set(node.fingerprint, node);
    return [...byFingerprint.values()];
  }, [data]);
  const refresh = (): void => refetch({ requestPolicy: 'network-only' });
  return (
    <>
      <div className="filters" role="group" aria-label="Filter findings">
        <fieldset>
          <legend>Triage state</legend>
          {triageStates.map((s) => (
            <label key={s} className="inline">
              <input
                type="checkbox"
                checked={states.includes(s)}
                onChange={() => setStates(states.includes(s) ? states.filter((x) => x !== s) : [...states, s])}
              />{' '}
              {s.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">all</option>
            <option>critical</option>
            <option>high</option>
            <option>info</option>
          </select>
        </label>
      </div>
      <QueryStatus fetching={fetching && !data} error={error} what="findings" />
      {data && findings.length === 0 ? <p className="muted">Nothing to triage with these filters.</p> : null}
      {findings.length > 0 ? (
        <table className="data">
          <caption className="visually-hidden">Findings to triage</caption>
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Class</th>
              <th scope="col">Scenario</th>
              <th scope="col">Kernel</th>
              <th scope="col">Device</th>
              <th scope="col">Path</th>
              <th scope="col" className="num">
                Bytes
              </th>
              <th scope="col">Last seen</th>
              <th scope="col">State</th>
              {canTriage ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {findings.map((v) => (
              <tr key={v.fingerprint}>
                <td>
                  <SeverityBadge severity={v.severity} />
                </td>
                <td>
                  <LegendLink id={v.class} />
                </td>
                <td>
                  <Link to={`/scenarios/${v.run.scenario.id}`}>{v.run.scenario.name}</Link>
                </td>
                <td>
                  <code>{formatKernel(v.run.profile, v.run.overlays)}</code>
                </td>
                <td>{v.deviceId}</td>
                <td className="clip" title={v.explanation}>
                  <code>{v.path}</code>
                </td>
                <td className="num">{formatBytes(v.bytesExposed)}</td>
                <td>
                  <Link to={`/runs/${v.runId}`}>{formatTime(v.createdAt)}</Link>
                </td>
                <td>{v.triageState.toLowerCase()}</td>
                {canTriage ? (
                  <td>
                    {waiving === v.fingerprint ? (
                      <WaiveForm
                        fingerprint={v.fingerprint}
                        onDone={() => {
                          setWaiving(null);
                          refresh();
                        }}
                      />
                    ) : (
                      <div className="actions">
                        {v.triageState === 'OPEN' ? (
                          <button
                            type="button"
                            onClick={() => void acknowledge({ fingerprint: v.fingerprint }).then(refresh)}
                            aria-label={`Acknowledge ${v.class} on ${v.deviceId}`}
                          >
                            Acknowledge
                          </button>
                        ) : null}
                        {v.triageState !== 'WAIVED' ? (
                          <button
                            type="button"
                            onClick={() => setWaiving(v.fingerprint)}
                            aria-label={`Waive ${v.class} on ${v.deviceId}`}
                          >
                            Waive…
                          </button>
                        ) : null}
                        {v.triageState !== 'OPEN' ? (
                          <button
                            type="button"
                            onClick={() => void reopen({ fingerprint: v.fingerprint }).then(refresh)}
                            aria-label={`Reopen ${v.class} on ${v.deviceId}`}
                          >
                            Reopen
                          </button>
                        ) : null}
                      </div>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

/** Regression suites with their latest comparison, schedules, and triage of findings. */
export function RegressionsPage({ canTriage }: { canTriage: boolean }): ReactNode {
  const [{ data, fetching, error }, refetch] = useQuery({ query: RegressionsDocument });
  const refresh = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  return (
    <>
      <h1>Regressions</h1>
      <Section title="Suites and latest comparisons">
        <QueryStatus fetching={fetching && !data} error={error} what="the suites" />
        {data ? <Suites suites={data.suites} /> : null}
      </Section>
      <Section title="Schedules">
        {data ? (
          <Schedules schedules={data.schedules} canManage={canTriage} onChanged={refresh} />
        ) : (
          <QueryStatus fetching={fetching} error={error} what="the schedules" />
        )}
      </Section>
      <Section title="Triage">
        <Triage canTriage={canTriage} />
      </Section>
    </>
  );
}
