import { useState, type FormEvent, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { AdviseDocument, type PoolAdviceFieldsFragment } from '../api/generated/graphql';
import { formatBytes, formatCount } from '../format';
import { QueryStatus } from './common';

/** The command-line value to set, or why there is none. */
function adviceText(advice: PoolAdviceFieldsFragment): string {
  if (advice.value !== null) return `${advice.param}=${advice.value}`;
  if (advice.timedOut) return '(time ran out)';
  return advice.failuresAsGiven === 0 ? '(keep default)' : '(none found)';
}

const inUnit = (value: string | null, unit: string): string =>
  value === null ? '–' : unit === 'bytes' ? formatBytes(value) : `${formatCount(value)} ${unit}`;

function AdviceRow({ profile, advice }: { profile: string; advice: PoolAdviceFieldsFragment }): ReactNode {
  return (
    <tr>
      <td>{profile}</td>
      <td>{advice.failureClass}</td>
      <td className="num">{formatCount(advice.failuresAsGiven)}</td>
      <td>
        <code>{adviceText(advice)}</code>
      </td>
      <td className="num">{inUnit(advice.effectiveSize, advice.unit)}</td>
      <td className="num">{formatBytes(advice.decryptedBytes)}</td>
      <td className="num">{formatBytes(advice.lowMemoryBytes)}</td>
      <td className="num">{inUnit(advice.headroom, advice.unit)}</td>
      <td className="num">{advice.runs}</td>
      <td>
        {advice.note}
        {advice.monotone ? '' : ' (not monotone)'}
      </td>
    </tr>
  );
}

/**
 * Pool sizing of a scenario: the smallest swiotlb= and coherent_pool= with no F1/F7 per kernel
 * profile, from the `advise` query. It runs the engine many times, so it starts on request only.
 */
export function AdvisePanel({ scenarioId }: { scenarioId: string }): ReactNode {
  const [profilesText, setProfilesText] = useState('');
  const [asked, setAsked] = useState<string[] | null>(null);
  const [{ data, fetching, error }] = useQuery({
    query: AdviseDocument,
    variables: { input: { scenarioId, ...(asked && asked.length > 0 ? { profiles: asked } : {}) } },
    pause: asked === null,
    requestPolicy: 'network-only',
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setAsked(
      profilesText
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    );
  };
  const result = asked === null ? undefined : data?.advise;
  return (
    <div className="advise">
      <form className="filters" onSubmit={submit} aria-label="Size the pools">
        <label>
          Kernel profiles (comma-separated; default: the spec&apos;s own)
          <input value={profilesText} onChange={(e) => setProfilesText(e.target.value)} placeholder="v6.12, v7.2" />
        </label>
        <button type="submit" disabled={fetching}>
          Size the pools
        </button>
      </form>
      <QueryStatus fetching={fetching} error={error} what="the pool sizes" />
      {result?.__typename === 'InputRejected' ? (
        <ul className="error" role="alert">
          {result.userErrors.map((e) => (
            <li key={`${e.path.join('.')}:${e.message}`}>{e.message}</li>
          ))}
        </ul>
      ) : null}
      {result?.__typename === 'PoolSizing' ? (
        <>
          <p className="muted">
            Version {result.scenarioVersion.version}, {formatCount(result.operations)} operations per engine run.
          </p>
          <table className="data">
            <caption>Smallest pools without exhaustion</caption>
            <thead>
              <tr>
                <th scope="col">Profile</th>
                <th scope="col">Class</th>
                <th scope="col" className="num">
                  As given
                </th>
                <th scope="col">Advice</th>
                <th scope="col" className="num">
                  Pool set up
                </th>
                <th scope="col" className="num">
                  Shared cost
                </th>
                <th scope="col" className="num">
                  Below 4 GiB
                </th>
                <th scope="col" className="num">
                  Headroom
                </th>
                <th scope="col" className="num">
                  Runs
                </th>
                <th scope="col">How</th>
              </tr>
            </thead>
            <tbody>
              {result.profiles.flatMap((p) => [
                <AdviceRow key={`${p.profile}-swiotlb`} profile={p.profile} advice={p.swiotlb} />,
                <AdviceRow key={`${p.profile}-coherent`} profile={p.profile} advice={p.coherentPool} />,
                ...(p.privatePoolBytes === null
                  ? []
                  : [
                      <tr key={`${p.profile}-private`}>
                        <td>{p.profile}</td>
                        <td colSpan={9}>
                          dual-swiotlb-pools: the private pool has the same size, {formatBytes(p.privatePoolBytes)}{' '}
                          (private, not shared)
                        </td>
                      </tr>,
                    ]),
              ])}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
