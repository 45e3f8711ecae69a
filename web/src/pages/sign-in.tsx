import { useState, type FormEvent, type ReactNode } from 'react';
import { fetchViewer } from '../api/client';
import type { Session } from '../session';

/** Sign-in with an API token; the token is checked against `viewer` before it is kept. */
export function SignInPage({
  onSignedIn,
  onCancel,
}: {
  onSignedIn: (session: Session) => void;
  onCancel: (() => void) | undefined;
}): ReactNode {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const trimmed = token.trim();
    if (!trimmed) {
      setError('Paste an API token first.');
      return;
    }
    setBusy(true);
    setError(null);
    const viewer = await fetchViewer(trimmed);
    setBusy(false);
    if ('error' in viewer) setError(viewer.error);
    else onSignedIn({ token: trimmed, ...viewer });
  };

  return (
    <main id="main" className="sign-in">
      <h1>dmasim dashboard</h1>
      <p>
        Sign in with an API token of your team (created with <code>dmasim team create</code> or by an admin). It is kept
        in this tab only (session storage).
      </p>
      <form onSubmit={(e) => void submit(e)} className="card">
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby={error ? 'token-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        {error ? (
          <p id="token-error" className="error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
          {onCancel ? (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </main>
  );
}
