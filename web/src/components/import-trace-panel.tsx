import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation } from 'urql';
import { requestErrorMessage, userErrorMessages } from '../api/errors';
import { ImportTraceDocument, type ImportTraceMutation } from '../api/generated/graphql';
import { formatCount } from '../format';
import { Link } from '../router';
import { ErrorList } from './common';

type Imported = Extract<ImportTraceMutation['importTrace'], { __typename: 'TraceImported' }>;

/** Platforms an imported trace may come from (sev-snp is the default). */
const importPlatforms = [
  'sev',
  'tdx',
  'cca-realm',
  's390-pv',
  'ppc-svm',
  'hyperv-vbs',
  'hyperv-snp-paravisor',
  'hyperv-tdx-paravisor',
] as const;

/** A file's text through FileReader (every browser, and jsdom in the tests). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsText(file);
  });
}

/** Non-empty lines of a text area: one device map entry or data rule per line. */
const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** The counts of one summary list, e.g. "irq_handler_entry ×3". */
const countList = (items: ReadonlyArray<{ what: string; count: number }>): string =>
  items.map((i) => `${i.what} ×${formatCount(i.count)}`).join(', ');

/** What importTrace read and wrote, as the CLI prints it. */
export function TraceImportSummaryView({ imported }: { imported: Imported }): ReactNode {
  const s = imported.summary;
  return (
    <div aria-label="Import summary">
      <p>
        {formatCount(s.linesRead)} lines, {formatCount(s.eventsDecoded)} DMA events → {formatCount(s.opsWritten)} ops (
        {formatCount(s.liveAtEnd)} mappings live at the end)
        {s.opsNotWritten > 0 ? `; ${formatCount(s.opsNotWritten)} calls after the op limit not written` : ''}
      </p>
      <ul>
        {s.unknownLines > 0 ? (
          <li>
            {formatCount(s.unknownLines)} lines are not ftrace event lines (first at line{' '}
            {s.unknownLineNumbers.join(', ')})
          </li>
        ) : null}
        {s.malformedLines > 0 ? <li>{formatCount(s.malformedLines)} malformed lines skipped</li> : null}
        {s.unclassifiedOps > 0 ? (
          <li>
            {formatCount(s.unclassifiedOps)} ops carry data of class <strong>unknown</strong>: add data rules (e.g.{' '}
            <code>storvsc0:to-device=secret</code>) to classify them
          </li>
        ) : null}
        {s.bouncedOnly ? <li>Only swiotlb_bounced events: each bounce is a map immediately unmapped.</li> : null}
        {s.otherEvents.length > 0 ? <li>Other events ignored: {countList(s.otherEvents)}</li> : null}
        {s.unsupportedEvents.length > 0 ? <li>Not replayed: {countList(s.unsupportedEvents)}</li> : null}
        {s.warnings.map((w) => (
          <li key={w.what}>
            {formatCount(w.count)} × {w.what}
          </li>
        ))}
      </ul>
      <table className="data">
        <caption>Devices</caption>
        <thead>
          <tr>
            <th scope="col">Trace name</th>
            <th scope="col">Spec id</th>
            <th scope="col">Kind</th>
            <th scope="col">Trust</th>
            <th scope="col">How</th>
          </tr>
        </thead>
        <tbody>
          {s.devices.map((d) => (
            <tr key={d.traceName}>
              <td>
                <code>{d.traceName}</code>
              </td>
              <td>{d.id}</td>
              <td>{d.kind}</td>
              <td>{d.trust}</td>
              <td>{d.source}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {imported.skippedLines.length > 0 ? (
        <ul className="error" aria-label="Skipped lines">
          {imported.skippedLines.map((e) => (
            <li key={e.message}>{e.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/**
 * Upload a kernel DMA trace (tracefs or `trace-cmd report` text): a device map and data rules, a
 * preview of what the import finds, then a new scenario whose workload replays the trace.
 */
export function ImportTracePanel(): ReactNode {
  const [fileName, setFileName] = useState<string | null>(null);
  const [trace, setTrace] = useState('');
  const [devices, setDevices] = useState('');
  const [data, setData] = useState('');
  const [name, setName] = useState('');
  const [platform, setPlatform] = useState('');
  const [skipMalformed, setSkipMalformed] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [imported, setImported] = useState<Imported | null>(null);
  const [state, importTrace] = useMutation(ImportTraceDocument);

  const readFile = async (file: File | undefined): Promise<void> => {
    setImported(null);
    setErrors([]);
    if (!file) return;
    setFileName(file.name);
    try {
      setTrace(await readText(file));
    } catch (error: unknown) {
      setErrors([`Cannot read ${file.name}: ${error instanceof Error ? error.message : String(error)}`]);
      return;
    }
    if (name === '') setName(file.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '-'));
  };

  const run = async (create: boolean): Promise<void> => {
    setErrors([]);
    if (trace === '') {
      setErrors(['Choose a trace file first.']);
      return;
    }
    const result = await importTrace({
      input: {
        trace,
        devices: lines(devices),
        data: lines(data),
        create,
        skipMalformedLines: skipMalformed,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(platform ? { platform } : {}),
      },
    });
    const payload = result.data?.importTrace;
    if (payload?.__typename === 'TraceImported') setImported(payload);
    else if (payload?.__typename === 'InputRejected') {
      setImported(null);
      setErrors(userErrorMessages(payload.userErrors));
    } else setErrors([requestErrorMessage(result.error, 'Import failed.')]);
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void run(true);
  };

  return (
    <form className="submit-form import-trace" onSubmit={submit} aria-label="Import trace">
      <label>
        Trace file (tracefs or trace-cmd report text)
        <input
          type="file"
          accept=".txt,.trace,.dat.txt,text/plain"
          onChange={(e) => void readFile(e.target.files?.[0])}
        />
      </label>
      {fileName ? (
        <p className="muted">
          {fileName}: {formatCount(trace.length)} characters
        </p>
      ) : null}
      <label>
        Device map (one per line: NAME=KIND[,trust=T][,id=ID][,mask=BITS])
        <textarea
          rows={2}
          value={devices}
          placeholder="0000:00:04.0=nvme,id=nvme0"
          onChange={(e) => setDevices(e.target.value)}
        />
      </label>
      <label>
        Data rules (one per line: [DEVICE][:DIRECTION]=CLASS; unclassified data is unknown)
        <textarea
          rows={2}
          value={data}
          placeholder="storvsc0:to-device=secret"
          onChange={(e) => setData(e.target.value)}
        />
      </label>
      <label>
        Scenario name
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="imported-trace" />
      </label>
      <label>
        Platform
        <select value={platform} onChange={(e) => setPlatform(e.target.value)}>
          <option value="">sev-snp (default)</option>
          {importPlatforms.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={skipMalformed} onChange={(e) => setSkipMalformed(e.target.checked)} /> Skip
        malformed lines
      </label>
      <div className="actions">
        <button type="button" disabled={state.fetching} onClick={() => void run(false)}>
          Preview
        </button>
        <button type="submit" disabled={state.fetching}>
          Import and create scenario
        </button>
      </div>
      <ErrorList errors={errors} />
      {imported ? (
        <>
          {imported.scenario ? (
            <p role="status">
              Created scenario <Link to={`/scenarios/${imported.scenario.id}`}>{imported.scenario.name}</Link>.
            </p>
          ) : (
            <p role="status">Preview: nothing stored yet.</p>
          )}
          <TraceImportSummaryView imported={imported} />
        </>
      ) : null}
    </form>
  );
}
