import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
import { useClient, useMutation } from 'urql';
import { CreateScenarioDocument, ValidateSpecDocument, type ValidateSpecQuery } from '../api/generated/graphql';
import { Section } from '../components/common';
import { navigate } from '../router';

const starterSpec = `# yaml-language-server: $schema=https://your-dmasim-server/schema/scenario.v1.json
apiVersion: dmasim/v1
name: my-scenario
`;

type Problems = ValidateSpecQuery['validateSpec']['errors'];

/**
 * Create a scenario from a spec: paste it, edit it or upload a .yaml/.json file; the server checks
 * it as you type (validateSpec, every problem at once with its path) and saves it (createScenario).
 */
export function NewScenarioPage({ canCreate }: { canCreate: boolean }): ReactNode {
  const client = useClient();
  const [spec, setSpec] = useState(starterSpec.replace('https://your-dmasim-server', window.location.origin));
  const [checked, setChecked] = useState<{ spec: string; valid: boolean; errors: Problems } | null>(null);
  const [saveState, save] = useMutation(CreateScenarioDocument);
  const [saveErrors, setSaveErrors] = useState<Problems>([]);

  // Validate after the user pauses typing for a moment; only the latest answer is shown.
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      void client
        .query(ValidateSpecDocument, { spec }, { requestPolicy: 'network-only' })
        .toPromise()
        .then((result) => {
          if (!current || !result.data) return;
          setChecked({ spec, valid: result.data.validateSpec.valid, errors: result.data.validateSpec.errors });
        });
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, spec]);

  const upload = (event: ChangeEvent<HTMLInputElement>): void => {
    const file = event.target.files?.[0];
    if (file) void file.text().then(setSpec);
  };

  const submit = async (): Promise<void> => {
    setSaveErrors([]);
    const result = await save({ input: { spec } });
    const outcome = result.data?.createScenario;
    if (outcome?.__typename === 'ScenarioSaved') navigate(`/scenarios/${outcome.scenario.id}`);
    else if (outcome?.__typename === 'InputRejected') setSaveErrors(outcome.userErrors);
  };

  const current = checked?.spec === spec ? checked : null;
  const problems = saveErrors.length > 0 ? saveErrors : (current?.errors ?? []);
  return (
    <>
      <h1>New scenario</h1>
      <p className="muted">
        Paste or upload a scenario spec (YAML or JSON, <code>apiVersion: dmasim/v1</code>). Every field is documented in
        docs/engine/spec.md; the JSON Schema is at{' '}
        <a href="/schema/scenario.v1.json" target="_blank" rel="noreferrer">
          /schema/scenario.v1.json
        </a>{' '}
        (also <code>npx dmasim schema</code>), and the files in <code>examples/</code> are complete specs to start from.
      </p>
      <Section title="Spec">
        <label className="block">
          Upload a file <input type="file" accept=".yaml,.yml,.json,text/yaml,application/json" onChange={upload} />
        </label>
        <label className="block">
          Spec text
          <textarea
            className="spec-editor"
            value={spec}
            spellCheck={false}
            rows={24}
            onChange={(e) => setSpec(e.target.value)}
          />
        </label>
        <div aria-live="polite" className="validation">
          {current === null ? (
            <p className="muted">Checking…</p>
          ) : problems.length === 0 && current.valid ? (
            <p className="ok">The spec is valid.</p>
          ) : (
            <>
              <p className="error">
                {problems.length} problem{problems.length === 1 ? '' : 's'}:
              </p>
              <ul className="problems">
                {problems.map((p) => (
                  <li key={`${p.path.join('.')}:${p.code}:${p.message}`}>
                    <code>{p.path.join('.') || '(spec)'}</code>: {p.message} <span className="muted">({p.code})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
        {canCreate ? (
          <button type="button" disabled={saveState.fetching || !current?.valid} onClick={() => void submit()}>
            Create scenario
          </button>
        ) : (
          <p className="muted">Viewer tokens can check specs; creating a scenario needs a member token.</p>
        )}
        {saveState.error ? (
          <p className="error" role="alert">
            {saveState.error.graphQLErrors[0]?.message ?? saveState.error.message}
          </p>
        ) : null}
      </Section>
    </>
  );
}
