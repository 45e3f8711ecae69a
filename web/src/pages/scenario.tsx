import { useState, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { ScenarioDocument } from '../api/generated/graphql';
import { AdvisePanel } from '../components/advise-panel';
import { QueryStatus, Section } from '../components/common';
import { canonicalJson, diffLines, formatTime } from '../format';
import { RunsTable } from './runs-table';
import { SubmitForm } from './submit-form';

function VersionDiff({ before, after }: { before: unknown; after: unknown }): ReactNode {
  const lines = diffLines(canonicalJson(before), canonicalJson(after));
  // Show changes with two lines of context; collapse long unchanged stretches.
  const keep = lines.map((line, index) =>
    lines.slice(Math.max(0, index - 2), index + 3).some((l) => l.kind !== 'same'),
  );
  return (
    <pre className="diff" aria-label="Spec changes">
      {lines.map((line, index) =>
        keep[index] ? (
          <span key={index} className={`diff-${line.kind}`}>
            {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            {line.text}
            {'\n'}
          </span>
        ) : index > 0 && keep[index - 1] ? (
          <span key={index} className="diff-gap">
            {'  …\n'}
          </span>
        ) : null,
      )}
    </pre>
  );
}

/** A scenario: its versions (with spec diffs), the submit form and its recent runs. */
export function ScenarioPage({ id, canSubmit }: { id: string; canSubmit: boolean }): ReactNode {
  const [{ data, fetching, error }] = useQuery({ query: ScenarioDocument, variables: { id } });
  const [openVersion, setOpenVersion] = useState<string | null>(null);
  const scenario = data?.scenario;
  if (!scenario) {
    return (
      <>
        <h1>Scenario</h1>
        <QueryStatus fetching={fetching} error={error} what="the scenario" />
        {data && !scenario ? <p>No scenario with this id in your team.</p> : null}
      </>
    );
  }
  return (
    <>
      <h1>{scenario.name}</h1>
      <p>{scenario.description}</p>
      <p className="muted">
        {scenario.tags.length ? `tags: ${scenario.tags.join(', ')} · ` : ''}created {formatTime(scenario.createdAt)}
        {scenario.archived ? ' · archived' : ''}
      </p>
      <div className="two-col">
        <Section title="Submit">
          {canSubmit && !scenario.archived ? (
            <SubmitForm scenarioId={scenario.id} />
          ) : (
            <p className="muted">Your token cannot submit runs of this scenario.</p>
          )}
        </Section>
        <Section title="Versions">
          <ol className="versions" reversed>
            {scenario.versions.map((version, index) => {
              const previous = scenario.versions[index + 1];
              const isOpen = openVersion === version.id;
              return (
                <li key={version.id}>
                  <strong>v{version.version}</strong> · {formatTime(version.createdAt)} ·{' '}
                  <code title={version.specHash}>{version.specHash.slice(0, 12)}</code>
                  <div>{version.diffSummary || (previous ? 'no summary' : 'first version')}</div>
                  <button
                    type="button"
                    aria-expanded={isOpen}
                    onClick={() => setOpenVersion(isOpen ? null : version.id)}
                  >
                    {isOpen ? 'Hide' : previous ? 'Show diff' : 'Show spec'}
                  </button>
                  {isOpen ? (
                    previous ? (
                      <VersionDiff before={previous.spec} after={version.spec} />
                    ) : (
                      <pre className="diff">{canonicalJson(version.spec)}</pre>
                    )
                  ) : null}
                </li>
              );
            })}
          </ol>
        </Section>
      </div>
      <Section title="Pool sizing">
        <AdvisePanel scenarioId={scenario.id} />
      </Section>
      <Section title="Recent runs">
        <RunsTable
          runs={data.runs.edges.map((e) => e.node)}
          caption="Recent runs of this scenario"
          showScenario={false}
        />
      </Section>
    </>
  );
}
