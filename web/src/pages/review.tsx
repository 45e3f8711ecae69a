import { useCallback, useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { requestErrorMessage, userErrorMessages } from '../api/errors';
import { pollIntervalMs } from '../api/client';
import {
  PatchReviewDocument,
  type PatchReviewQuery,
  ReviewChoicesDocument,
  type ReviewPatchInput,
  ReviewPatchDocument,
} from '../api/generated/graphql';
import { ErrorList, ProgressBar, QueryStatus, Section, StatusBadge, VerdictBadge } from '../components/common';
import { downloadText, formatBytes, formatCount, formatTime, shortId } from '../format';
import { Link, navigate } from '../router';
import { toggled } from '../sets';
import { verdictName } from './runs-table';
import { finalStatuses, usePolling } from './use-polling';

type Review = NonNullable<PatchReviewQuery['patchReview']>;
type ScenarioReview = NonNullable<Review['scenarios']>[number];
type SetKind = 'scenarios' | 'suite' | 'examples';

/**
 * The reviewer's answer for a kernel change (`dmasim review` on the service): pick a scenario set and
 * the base and patched kernels; the runs go through the queue, and the page shows progress, then
 * per scenario what the patch fixes and leaves, new failures, memory and time cost, and the verdict.
 */
export function ReviewPage({ id, canSubmit }: { id: string | null; canSubmit: boolean }): ReactNode {
  if (id) return <ReviewResult id={id} />;
  return (
    <>
      <h1>Review a patch</h1>
      <p>
        Runs each scenario under the kernel without the patch (base) and with it (patched), plus one probe per hunk the
        patched overlays leave off, and answers: which exposures the patch fixes, which it leaves (with the kernel path,
        the rule and the hunk that would remove it), new failures, the memory and modelled time it costs, and one
        verdict. Kernels are written like a matrix entry: <code>profile[+overlay[:variant][+hunk|-hunk]...]</code>.
      </p>
      {canSubmit ? <ReviewForm /> : <p className="muted">A viewer token can read reviews but not start them.</p>}
      <p className="muted">
        Without the dashboard:{' '}
        <code>npx dmasim review --examples --base v7.2 --patched v7.2+device-cc-accepted:posted --md</code>
      </p>
    </>
  );
}

function ReviewForm(): ReactNode {
  const [{ data, fetching, error }] = useQuery({ query: ReviewChoicesDocument });
  const [kind, setKind] = useState<SetKind>('examples');
  const [scenarioIds, setScenarioIds] = useState<ReadonlySet<string>>(new Set());
  const [suiteId, setSuiteId] = useState('');
  const [base, setBase] = useState('v7.2');
  const [patched, setPatched] = useState('v7.2+device-cc-accepted:posted');
  const [operations, setOperations] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [state, reviewPatch] = useMutation(ReviewPatchDocument);
  const scenarios = data?.scenarios.edges.map((e) => e.node) ?? [];
  const suites = data?.suites ?? [];

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setErrors([]);
    const ops = operations.trim();
    if (ops !== '' && !/^[1-9]\d*$/.test(ops)) {
      setErrors(['Operations: give a positive whole number, or leave it empty for the specs’ own counts.']);
      return;
    }
    const set: Partial<ReviewPatchInput> =
      kind === 'scenarios' ? { scenarioIds: [...scenarioIds] } : kind === 'suite' ? { suiteId } : { examples: true };
    if (kind === 'scenarios' && scenarioIds.size === 0) {
      setErrors(['Choose at least one scenario.']);
      return;
    }
    if (kind === 'suite' && !suiteId) {
      setErrors(['Choose a suite.']);
      return;
    }
    const result = await reviewPatch({
      input: { ...set, base: base.trim(), patched: patched.trim(), ...(ops ? { operations: Number(ops) } : {}) },
    });
    const payload = result.data?.reviewPatch;
    if (payload?.__typename === 'PatchReviewSubmitted') navigate(`/review?id=${payload.review.id}`);
    else if (payload?.__typename === 'InputRejected') setErrors(userErrorMessages(payload.userErrors));
    else setErrors([requestErrorMessage(result.error, 'Submission failed.')]);
  };

  const toggle = (scenarioId: string): void => setScenarioIds((current) => toggled(current, scenarioId));

  return (
    <form onSubmit={(e) => void submit(e)} className="submit-form" aria-label="Review a patch">
      <fieldset>
        <legend>Scenarios</legend>
        {(
          [
            ['examples', 'The bundled examples'],
            ['scenarios', 'Scenarios of the team'],
            ['suite', 'A regression suite'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="inline">
            <input type="radio" name="set" value={value} checked={kind === value} onChange={() => setKind(value)} />{' '}
            {label}
          </label>
        ))}
        <QueryStatus fetching={fetching} error={error} what="scenarios and suites" />
        {kind === 'scenarios' ? (
          <div role="group" aria-label="Scenarios to review">
            {scenarios.length === 0 && data ? <p className="muted">The team has no scenarios yet.</p> : null}
            {scenarios.map((s) => (
              <label key={s.id} className="inline">
                <input type="checkbox" checked={scenarioIds.has(s.id)} onChange={() => toggle(s.id)} /> {s.name}
              </label>
            ))}
          </div>
        ) : null}
        {kind === 'suite' ? (
          <label>
            Suite
            <select value={suiteId} onChange={(e) => setSuiteId(e.target.value)}>
              <option value="">choose a suite</option>
              {suites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </fieldset>
      <label>
        Base kernel
        <input value={base} onChange={(e) => setBase(e.target.value)} placeholder="e.g. v7.2 or lb" required />
      </label>
      <label>
        Patched kernel
        <input
          value={patched}
          onChange={(e) => setPatched(e.target.value)}
          placeholder="e.g. v7.2+device-cc-accepted:posted"
          required
        />
      </label>
      <label>
        Operations cap
        <input
          inputMode="numeric"
          value={operations}
          onChange={(e) => setOperations(e.target.value)}
          placeholder="the specs' own counts"
        />
      </label>
      <ErrorList errors={errors} />
      <button type="submit" className="primary" disabled={state.fetching}>
        {state.fetching ? 'Submitting…' : 'Review the patch'}
      </button>
    </form>
  );
}

function ReviewResult({ id }: { id: string }): ReactNode {
  const [{ data, fetching, error }, refetch] = useQuery({ query: PatchReviewDocument, variables: { id } });
  const review = data?.patchReview;
  const active = review ? !finalStatuses.has(review.status) : false;
  const refresh = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  usePolling(active, pollIntervalMs, refresh);
  if (!review) {
    return (
      <>
        <h1>Review</h1>
        <QueryStatus fetching={fetching} error={error} what="the review" />
        <p>
          <Link to="/review">Start a new review</Link>
        </p>
      </>
    );
  }
  const { progress } = review;
  return (
    <>
      <h1>
        Review of <code>{review.patched}</code> against <code>{review.base}</code>{' '}
        <StatusBadge status={review.status} />
      </h1>
      <p className="muted">
        {review.source === 'EXAMPLES' ? 'bundled examples' : review.source === 'SUITE' ? 'a suite' : 'chosen scenarios'}
        {review.operations ? ` · at most ${formatCount(review.operations)} operations per run` : ''} · submitted{' '}
        {formatTime(review.createdAt)} · <Link to="/review">new review</Link>
      </p>
      {active || !review.total ? (
        <Section title="Progress">
          <ProgressBar value={progress.total === 0 ? 0 : progress.finished / progress.total} label="Review progress" />
          <p aria-live="polite">
            {progress.finished} of {progress.total} runs finished
          </p>
        </Section>
      ) : null}
      {review.total && review.scenarios && review.markdown ? (
        <ReviewAnswer review={review} total={review.total} scenarios={review.scenarios} markdown={review.markdown} />
      ) : null}
      {review.skipped.length > 0 ? (
        <Section title="Skipped">
          <ul aria-label="Skipped scenarios">
            {review.skipped.map((s) => (
              <li key={s.scenario}>
                {s.scenario}: {s.reason}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
    </>
  );
}

function ReviewAnswer({
  review,
  total,
  scenarios,
  markdown,
}: {
  review: Review;
  total: NonNullable<Review['total']>;
  scenarios: readonly ScenarioReview[];
  markdown: string;
}): ReactNode {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(markdown);
      setCopied('Markdown copied.');
    } catch {
      setCopied('The browser refused the clipboard: use Download Markdown.');
    }
  };
  return (
    <>
      <Section title="Verdict">
        <p>{total.verdict}.</p>
        <ul aria-label="Review totals" className="counts">
          <li>{total.scenarios} scenario(s)</li>
          <li>{total.fixed} fixed</li>
          <li>{total.left} left</li>
          <li>{total.newExposures} new exposures</li>
          <li>{formatCount(total.newFailedOperations)} newly failing operations</li>
          <li>{total.unaffected} unaffected</li>
        </ul>
        <p>
          Memory: {total.memory.map((c) => `${c.key} ${c.deltaText}`).join(', ') || '–'}; modelled time{' '}
          {total.time.deltaText}.
        </p>
        <p>
          <button type="button" onClick={() => void copy()}>
            Copy Markdown
          </button>{' '}
          <button
            type="button"
            onClick={() => downloadText(`review-${shortId(review.id)}.md`, markdown, 'text/markdown')}
          >
            Download Markdown
          </button>
        </p>
        {copied ? <p role="status">{copied}</p> : null}
      </Section>
      <Section title="Scenarios">
        <table className="data">
          <caption className="visually-hidden">Review per scenario</caption>
          <thead>
            <tr>
              <th scope="col">Scenario</th>
              <th scope="col">Base → patched</th>
              <th scope="col">Fixed</th>
              <th scope="col">Left</th>
              <th scope="col">New exposures</th>
              <th scope="col">New failures</th>
              <th scope="col">Decrypted memory</th>
              <th scope="col">Time</th>
              <th scope="col">Verdict</th>
            </tr>
          </thead>
          <tbody>
            {scenarios.map((s) => (
              <tr key={s.scenarioId}>
                <td>
                  <Link to={`/batches/${s.runBatchId}`}>{s.scenario}</Link>
                </td>
                <td>
                  <VerdictBadge verdict={verdictName(s.baseVerdict)} /> →{' '}
                  <VerdictBadge verdict={verdictName(s.patchedVerdict)} />
                </td>
                <td>{s.fixed.length}</td>
                <td>{s.left.length}</td>
                <td>{s.newExposures.length}</td>
                <td>
                  {s.newFailures.map((f) => `${formatCount(f.count)} × ${f.class} ${f.deviceId}`).join(', ') || '–'}
                </td>
                <td>{s.memory.find((m) => m.key === 'memory.decryptedBytes')?.deltaText ?? '–'}</td>
                <td>{s.time.deltaText}</td>
                <td>{s.affected ? s.verdict : 'unaffected by the patch'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {scenarios
        .filter((s) => s.affected && (s.left.length > 0 || s.newExposures.length > 0 || s.newFailures.length > 0))
        .map((s) => (
          <Section key={s.scenarioId} title={s.scenario} id={`review-${s.scenarioId}`}>
            <p>{s.verdict}.</p>
            <ul aria-label={`Findings of ${s.scenario}`}>
              {s.left.map((e, index) => (
                <li key={`left-${index}`}>
                  still leaks: {e.class} {e.severity}, {e.deviceId}, {e.dataClass}, {formatBytes(e.bytesExposed)} via{' '}
                  <code>{e.path}</code> (rule {e.rule})
                  {e.hunksNeeded.length > 0 ? (
                    <>
                      ; removed by <code>{e.hunksNeeded.join(' or ')}</code>
                    </>
                  ) : null}
                </li>
              ))}
              {s.newExposures.map((e, index) => (
                <li key={`new-${index}`}>
                  new leak: {e.class} {e.severity}, {e.deviceId}, {formatBytes(e.bytesExposed)} via{' '}
                  <code>{e.path}</code>
                </li>
              ))}
              {s.newFailures.map((f, index) => (
                <li key={`fail-${index}`}>
                  new failure: {formatCount(f.count)} × {f.class} on {f.deviceId}
                  {f.kernelLogLine ? (
                    <>
                      , first log line: <code>{f.kernelLogLine}</code>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          </Section>
        ))}
    </>
  );
}
