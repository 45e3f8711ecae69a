import { createContext, useContext, useState, type ReactNode } from 'react';

/** The signed-in token, for the few requests urql does not make (export downloads). */
export const TokenContext = createContext<string | null>(null);

export type ExportFile = 'junit.xml' | 'results.sarif' | 'series.csv' | 'report.md';

export const exportFiles: ReadonlyArray<{ file: ExportFile; label: string }> = [
  { file: 'junit.xml', label: 'JUnit' },
  { file: 'results.sarif', label: 'SARIF' },
  { file: 'series.csv', label: 'Series (CSV)' },
  { file: 'report.md', label: 'CI summary (Markdown)' },
];

/**
 * Fetches an export route with the bearer header (a plain link cannot carry it) and saves the
 * answer as a file. Resolves to an error message, or null when the file was saved.
 */
export async function downloadExport(token: string, url: string, fileName: string): Promise<string | null> {
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { errors?: Array<{ message: string }> } | null;
      return body?.errors?.[0]?.message ?? `The server answered ${response.status}.`;
    }
    const blob = await response.blob();
    const href = URL.createObjectURL(blob);
    const anchor = document.createElement('a');
    anchor.href = href;
    anchor.download = fileName;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(href), 1000);
    return null;
  } catch (error: unknown) {
    return `Download failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * The saved name of an export: the CI summary is `…ci-summary.md`, so it never collides with the
 * engine report's Markdown (`run-<id>.engine-report.md`) in the downloads folder.
 */
export function exportFileName(prefix: string, id: string, file: ExportFile): string {
  return `${prefix}-${id}.${file === 'report.md' ? 'ci-summary.md' : file}`;
}

/** Buttons for the four CI exports of a run, a matrix run batch or a suite batch (`/export/{runs,run-batches,batches}/:id/:file`). */
export function ExportButtons({
  kind,
  id,
  label,
}: {
  kind: 'runs' | 'run-batches' | 'batches';
  id: string;
  label: string;
}): ReactNode {
  const token = useContext(TokenContext);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<ExportFile | null>(null);
  if (!token) return null;
  const prefix = kind === 'runs' ? 'run' : kind === 'run-batches' ? 'batch' : 'suite-batch';
  const download = async (file: ExportFile): Promise<void> => {
    setBusy(file);
    setError(await downloadExport(token, `/export/${kind}/${id}/${file}`, exportFileName(prefix, id, file)));
    setBusy(null);
  };
  return (
    <div className="actions" role="group" aria-label={label}>
      {exportFiles.map(({ file, label: name }) => (
        <button key={file} type="button" disabled={busy !== null} onClick={() => void download(file)}>
          Download {name}
        </button>
      ))}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
