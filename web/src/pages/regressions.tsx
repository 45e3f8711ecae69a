import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { gql, useMutation, useQuery } from 'urql';
import { AcknowledgeViolationDocument, ReopenViolationDocument, TriageQueueDocument, WaiveViolationDocument, type TriageState, type ViolationFieldsFragment } from '../api/generated/graphql';
import { QueryStatus, Section, SeverityBadge } from '../components/common';
import { formatBytes, formatTime } from '../format';
import { Link } from '../router';

/** The regression API's list fields; the page shows them when the server has them. */
export const suiteFields = ['schedules', 'comparisons'] as const;

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface FieldInfo {
  name: string;
  args: Array<{ name: string; type: TypeRef }>;
  type: TypeRef;
}

const queryFieldsQuery = gql`
  query RegressionCapabilities {
    __type(name: "Query") {
      fields {
        name
        args { name type { kind name ofType { kind name ofType { kind name } } } }
        type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
      }
    }
  }
`;

const typeFieldsQuery = gql`
  query RegressionType($name: String!) {
    __type(name: $name) {
      fields {
        name
        type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
      }
    }
  }
`;

function namedType(ref: TypeRef | null): TypeRef | null {
  let current = ref;
  while (current && (current.kind === 'NON_NULL' || current.kind === 'LIST')) current = current.ofType;
  return current;
}

/**
 * Lists what a suite field returns without knowing its shape in advance: its scalar and enum
 * fields (through `edges.node` for a connection). The regression API is being built alongside the
 * dashboard; this keeps the page useful whatever exact shape it lands with.
 */
function SuiteList({ field }: { field: FieldInfo }): ReactNode {
  const top = namedType(field.type);
  const [{ data: topType }] = useQuery<{ __type: { fields: Array<{ name: string; type: TypeRef }> } | null }>({ query: typeFieldsQuery, variables: { name: top?.name ?? '' }, pause: !top?.name });
  const edgesField = topType?.__type?.fields.find((f) => f.name === 'edges');
  const nodeTypeName = edgesField ? null : top?.name;
  const [{ data: edgeType }] = useQuery<{ __type: { fields: Array<{ name: string; type: TypeRef }> } | null }>({ query: typeFieldsQuery, variables: { name: namedType(edgesField?.type ?? null)?.name ?? '' }, pause: !edgesField });
  const nodeField = edgeType?.__type?.fields.find((f) => f.name === 'node');
  const itemTypeName = nodeField ? namedType(nodeField.type)?.name : nodeTypeName;
  const [{ data: itemType }] = useQuery<{ __type: { fields: Array<{ name: string; type: TypeRef }> } | null }>({ query: typeFieldsQuery, variables: { name: itemTypeName ?? '' }, pause: !itemTypeName });
  const columns = (itemType?.__type?.fields ?? []).filter((f) => ['SCALAR', 'ENUM'].includes(namedType(f.type)?.kind ?? '')).map((f) => f.name).slice(0, 8);
  const hasFirst = field.args.some((a) => a.name === 'first');
  const requiredArgs = field.args.filter((a) => a.type.kind === 'NON_NULL');
  const selection = columns.join(' ');
  const query = columns.length ? `query Suite { ${field.name}${hasFirst ? '(first: 20)' : ''} { ${edgesField ? `edges { node { ${selection} } }` : selection} } }` : '';
  const [{ data, error }] = useQuery<Record<string, unknown>>({ query, pause: !query || requiredArgs.length > 0 });
  if (requiredArgs.length > 0) return <p className="muted">Needs arguments ({requiredArgs.map((a) => a.name).join(', ')}); open it from a schedule.</p>;
  if (error) return <QueryStatus fetching={false} error={error} what={field.name} />;
  const raw = data?.[field.name];
  const items: Array<Record<string, unknown>> = Array.isArray(raw)
    ? (raw as Array<Record<string, unknown>>)
    : ((raw as { edges?: Array<{ node: Record<string, unknown> }> } | undefined)?.edges ?? []).map((e) => e.node);
  if (!data) return <p aria-live="polite">Loading {field.name}…</p>;
  if (items.length === 0) return <p className="muted">None yet.</p>;
  return (
    <table className="data">
      <caption className="visually-hidden">{field.name}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map((item, index) => (
          <tr key={String(item['id'] ?? index)}>
            {columns.map((c) => (
              <td key={c}>{item[c] === null || item[c] === undefined ? '—' : String(item[c])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function WaiveForm({ fingerprint, onDone }: { fingerprint: string; onDone: () => void }): ReactNode {
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [state, waive] = useMutation(WaiveViolationDocument);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const result = await waive({ input: { fingerprint, reason, ...(expires ? { expiresAt: new Date(`${expires}T23:59:59Z`).toISOString() } : {}) } });
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
        Expires (optional)
        <input type="date" value={expires} min={new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)} onChange={(e) => setExpires(e.target.value)} />
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

const triageStates: readonly TriageState[] = ['OPEN', 'ACKNOWLEDGED', 'WAIVED', 'FIXED'];

function Triage({ canTriage }: { canTriage: boolean }): ReactNode {
  const [states, setStates] = useState<readonly TriageState[]>(['OPEN']);
  const [severity, setSeverity] = useState('critical');
  const [waiving, setWaiving] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({ query: TriageQueueDocument, variables: { filter: { triageState: [...states], ...(severity ? { severity: [severity] } : {}) } } });
  const [, acknowledge] = useMutation(AcknowledgeViolationDocument);
  const [, reopen] = useMutation(ReopenViolationDocument);
  // Triage is per fingerprint: show each fingerprint once, with its newest finding (of the newest 30).
  const findings = useMemo(() => {
    const byFingerprint = new Map<string, ViolationFieldsFragment>();
    for (const { node } of data?.violations.edges ?? []) if (!byFingerprint.has(node.fingerprint)) byFingerprint.set(node.fingerprint, node);
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
              <input type="checkbox" checked={states.includes(s)} onChange={() => setStates(states.includes(s) ? states.filter((x) => x !== s) : [...states, s])} /> {s.toLowerCase()}
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
                <td>{v.class}</td>
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
                          <button type="button" onClick={() => void acknowledge({ fingerprint: v.fingerprint }).then(refresh)} aria-label={`Acknowledge ${v.class} on ${v.deviceId}`}>
                            Acknowledge
                          </button>
                        ) : null}
                        {v.triageState !== 'WAIVED' ? (
                          <button type="button" onClick={() => setWaiving(v.fingerprint)} aria-label={`Waive ${v.class} on ${v.deviceId}`}>
                            Waive…
                          </button>
                        ) : null}
                        {v.triageState !== 'OPEN' ? (
                          <button type="button" onClick={() => void reopen({ fingerprint: v.fingerprint }).then(refresh)} aria-label={`Reopen ${v.class} on ${v.deviceId}`}>
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

/** Regression schedules and comparisons (when the server has them) and triage of findings. */
export function RegressionsPage({ canTriage }: { canTriage: boolean }): ReactNode {
  const [{ data, fetching, error }] = useQuery<{ __type: { fields: FieldInfo[] } | null }>({ query: queryFieldsQuery });
  const available = (data?.__type?.fields ?? []).filter((f) => (suiteFields as readonly string[]).includes(f.name));
  return (
    <>
      <h1>Regressions</h1>
      {fetching && !data ? <p aria-live="polite">Checking what this server offers…</p> : null}
      {/* Introspection answers which suite fields exist; if it fails (e.g. turned off), assume none. */}
      {(data && available.length === 0) || error ? (
        <Section title="Schedules and comparisons">
          <p className="notice" role="status">
            Regression schedules and comparisons are not available on this server yet. Triage below works with any server.
          </p>
        </Section>
      ) : null}
      {available.map((field) => (
        <Section key={field.name} title={field.name === 'schedules' ? 'Schedules' : field.name === 'comparisons' ? 'Latest comparisons' : field.name}>
          <SuiteList field={field} />
        </Section>
      ))}
      <Section title="Triage">
        <Triage canTriage={canTriage} />
      </Section>
    </>
  );
}
