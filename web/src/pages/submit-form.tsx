import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation } from 'urql';
import { requestErrorMessage, userErrorMessages } from '../api/errors';
import { SubmitMatrixDocument, SubmitRunDocument, type OverlayInput } from '../api/generated/graphql';
import { ErrorList } from '../components/common';
import { navigate } from '../router';
import { toggled } from '../sets';

/** Kernel profiles and overlays the engine knows (docs/engine/spec.md); a release string such as v7.2 also works. */
export const knownProfiles = ['v6.6', 'la-classic', 'la-phys', 'lb'] as const;
export const knownOverlays: ReadonlyArray<{ name: string; variants: readonly string[] }> = [
  { name: 'device-cc-accepted', variants: ['aneesh', 'alexey', 'dan'] },
  { name: 'dual-swiotlb-pools', variants: [] },
  { name: 'confidential-vmbus-no-swiotlb', variants: [] },
  { name: 'storvsc-bypass', variants: [] },
];

type Mode = 'run' | 'matrix';

/**
 * Submit one run (a profile and overlays) or a matrix (one run per chosen profile, each with the
 * chosen overlays, optionally also without them) of a scenario's latest version.
 */
export function SubmitForm({ scenarioId }: { scenarioId: string }): ReactNode {
  const [mode, setMode] = useState<Mode>('run');
  const [profile, setProfile] = useState('');
  const [profiles, setProfiles] = useState<ReadonlySet<string>>(new Set(['la-classic', 'la-phys']));
  const [extraProfile, setExtraProfile] = useState('');
  const [overlays, setOverlays] = useState<Record<string, string | null>>({});
  const [withoutOverlays, setWithoutOverlays] = useState(true);
  const [seed, setSeed] = useState('');
  const [errors, setErrors] = useState<string[]>([]);
  const [runState, submitRun] = useMutation(SubmitRunDocument);
  const [matrixState, submitMatrix] = useMutation(SubmitMatrixDocument);
  const busy = runState.fetching || matrixState.fetching;

  const overlayInputs: OverlayInput[] = Object.entries(overlays).map(([name, variant]) =>
    variant ? { name, variant } : { name },
  );
  const seedValue = seed.trim() === '' ? undefined : seed.trim();

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setErrors([]);
    if (mode === 'run') {
      const result = await submitRun({
        input: {
          scenarioId,
          idempotencyKey: `web-${crypto.randomUUID()}`,
          overrides: {
            ...(profile ? { profile } : {}),
            ...(overlayInputs.length ? { overlays: overlayInputs } : {}),
            ...(seedValue ? { seed: seedValue } : {}),
          },
        },
      });
      const payload = result.data?.submitRun;
      if (payload?.__typename === 'RunSubmitted') navigate(`/runs/${payload.run.id}`);
      else if (payload?.__typename === 'InputRejected') setErrors(userErrorMessages(payload.userErrors));
      else setErrors([requestErrorMessage(result.error, 'Submission failed.')]);
      return;
    }
    const columns = [
      ...profiles,
      ...extraProfile
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ];
    const entries = columns.flatMap((p) => [
      ...(overlayInputs.length ? [{ profile: p, overlays: overlayInputs }] : []),
      ...(withoutOverlays || overlayInputs.length === 0 ? [{ profile: p, overlays: [] }] : []),
    ]);
    if (entries.length === 0) {
      setErrors(['Choose at least one profile.']);
      return;
    }
    const result = await submitMatrix({ input: { scenarioId, entries, ...(seedValue ? { seed: seedValue } : {}) } });
    const payload = result.data?.submitMatrix;
    if (payload?.__typename === 'MatrixSubmitted') navigate(`/batches/${payload.batch.id}`);
    else if (payload?.__typename === 'InputRejected') setErrors(userErrorMessages(payload.userErrors));
    else setErrors([requestErrorMessage(result.error, 'Submission failed.')]);
  };

  const toggleProfile = (p: string): void => setProfiles((current) => toggled(current, p));
  const toggleOverlay = (name: string, variants: readonly string[]): void =>
    setOverlays((current) => {
      const next = { ...current };
      if (name in next) delete next[name];
      else next[name] = variants[0] ?? null;
      return next;
    });

  return (
    <form onSubmit={(e) => void submit(e)} className="submit-form" aria-label="Submit a run or matrix">
      <fieldset>
        <legend>What to submit</legend>
        <label className="inline">
          <input type="radio" name="mode" value="run" checked={mode === 'run'} onChange={() => setMode('run')} /> One
          run
        </label>
        <label className="inline">
          <input
            type="radio"
            name="mode"
            value="matrix"
            checked={mode === 'matrix'}
            onChange={() => setMode('matrix')}
          />{' '}
          Matrix over profiles
        </label>
      </fieldset>
      {mode === 'run' ? (
        <label>
          Kernel profile
          <input
            list="known-profiles"
            value={profile}
            placeholder="spec's profile"
            onChange={(e) => setProfile(e.target.value)}
          />
          <datalist id="known-profiles">
            {knownProfiles.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </label>
      ) : (
        <fieldset>
          <legend>Profiles (one column each)</legend>
          {knownProfiles.map((p) => (
            <label key={p} className="inline">
              <input type="checkbox" checked={profiles.has(p)} onChange={() => toggleProfile(p)} /> {p}
            </label>
          ))}
          <label>
            More profiles or releases (comma-separated)
            <input
              value={extraProfile}
              placeholder="e.g. v7.2, v6.18"
              onChange={(e) => setExtraProfile(e.target.value)}
            />
          </label>
        </fieldset>
      )}
      <fieldset>
        <legend>Overlays</legend>
        {knownOverlays.map((o) => (
          <span key={o.name} className="overlay-choice">
            <label className="inline">
              <input type="checkbox" checked={o.name in overlays} onChange={() => toggleOverlay(o.name, o.variants)} />{' '}
              {o.name}
            </label>
            {o.variants.length > 0 && o.name in overlays ? (
              <label className="inline">
                variant
                <select
                  value={overlays[o.name] ?? ''}
                  onChange={(e) => setOverlays((current) => ({ ...current, [o.name]: e.target.value }))}
                >
                  {o.variants.map((v) => (
                    <option key={v}>{v}</option>
                  ))}
                </select>
              </label>
            ) : null}
          </span>
        ))}
        {mode === 'matrix' ? (
          <label className="inline">
            <input type="checkbox" checked={withoutOverlays} onChange={(e) => setWithoutOverlays(e.target.checked)} />{' '}
            also run each profile without overlays
          </label>
        ) : null}
      </fieldset>
      <label>
        Seed
        <input inputMode="numeric" value={seed} placeholder="spec's seed" onChange={(e) => setSeed(e.target.value)} />
      </label>
      <ErrorList errors={errors} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Submitting…' : mode === 'run' ? 'Submit run' : 'Submit matrix'}
      </button>
    </form>
  );
}
