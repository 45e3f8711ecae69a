import type { ReactNode } from 'react';
import type { CombinedError } from '@urql/core';

export function StatusBadge({ status }: { status: string }): ReactNode {
  return <span className={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

export function SeverityBadge({ severity }: { severity: string }): ReactNode {
  return <span className={`badge severity-${severity}`}>{severity}</span>;
}

export function VerdictBadge({ verdict }: { verdict: string }): ReactNode {
  return <span className={`badge verdict-${verdict}`}>{verdict}</span>;
}

export function ProgressBar({ value, label }: { value: number; label: string }): ReactNode {
  const percent = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
    >
      <div className="progress-fill" style={{ width: `${percent}%` }} />
      <span className="progress-text">{percent} %</span>
    </div>
  );
}

/** Loading and error states of a query, in one place. */
export function QueryStatus({
  fetching,
  error,
  what,
}: {
  fetching: boolean;
  error: CombinedError | undefined;
  what: string;
}): ReactNode {
  if (error) {
    return (
      <p className="error" role="alert">
        Could not load {what}: {error.graphQLErrors[0]?.message ?? error.networkError?.message ?? error.message}
      </p>
    );
  }
  if (fetching) return <p aria-live="polite">Loading {what}…</p>;
  return null;
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }): ReactNode {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-heading`;
  return (
    <section aria-labelledby={headingId} className="card">
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** A form's error messages, announced as an alert; nothing while there are none. */
export function ErrorList({ errors }: { errors: readonly string[] }): ReactNode {
  if (errors.length === 0) return null;
  return (
    <ul className="error" role="alert">
      {errors.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  );
}
