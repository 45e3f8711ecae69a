/** Display helpers: numbers, bytes, times and the report download. Pure functions (tested). */

/** Byte counts arrive as BigInt strings; IEC units with one decimal. */
export function formatBytes(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const bytes = Number(value);
  if (!Number.isFinite(bytes)) return String(value);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = bytes;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${scaled.toFixed(1)} ${units[unit]}`;
}

export function formatCount(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const n = Number(value);
  return Number.isFinite(n) ? n.toLocaleString('en-US') : String(value);
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export function formatDay(iso: string): string {
  return iso.slice(0, 10);
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

export function formatOverlays(overlays: ReadonlyArray<{ name: string; variant: string | null }>): string {
  return overlays.length === 0
    ? 'no overlays'
    : overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name)).join(', ');
}

/** A kernel as profile plus overlays: "lb + device-cc-accepted:alexey"; the bare profile without overlays. */
export function formatKernel(
  profile: string,
  overlays: ReadonlyArray<{ name: string; variant: string | null }>,
): string {
  return [profile, ...overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join(' + ');
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

const severityRank: Record<string, number> = { critical: 0, high: 1, info: 2 };

/** critical before high before info; unknown severities last. */
export function compareSeverity(a: string, b: string): number {
  return (severityRank[a] ?? 9) - (severityRank[b] ?? 9);
}

/** The engine's report (docs/engine-contract.md §9), as far as the dashboard reads it. */
export interface ReportView {
  readonly engineVersion?: string;
  readonly platform?: string;
  readonly profile?: string;
  readonly seed?: number;
  readonly summary?: { verdict?: string; operations?: number; violations?: number; failures?: number };
  readonly violations?: ReadonlyArray<Record<string, unknown>>;
  readonly failures?: ReadonlyArray<{
    class: string;
    severity: string;
    deviceId: string;
    firstOp: number;
    count: number;
    kernelLogLine: string | null;
    rule: string;
    explanation: string;
  }>;
  readonly metrics?: Record<string, number | string>;
  readonly kernelLog?: ReadonlyArray<{ op: number; text: string }>;
  readonly resultHash?: string;
}

export function asReport(value: unknown): ReportView | null {
  return typeof value === 'object' && value !== null ? (value as ReportView) : null;
}

function cell(value: unknown): string {
  return String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
}

/** A Markdown rendering of a report, for pasting into reviews and tickets. */
export function reportToMarkdown(runId: string, report: ReportView): string {
  const lines = [
    `# dmasim run ${runId}`,
    '',
    `- verdict: **${report.summary?.verdict ?? 'unknown'}**`,
    `- platform: ${report.platform ?? '?'}, profile: ${report.profile ?? '?'}, seed: ${report.seed ?? '?'}, engine ${report.engineVersion ?? '?'}`,
    `- operations: ${report.summary?.operations ?? '?'}, violations: ${report.summary?.violations ?? 0}, failures: ${report.summary?.failures ?? 0}`,
    `- result hash: \`${report.resultHash ?? ''}\``,
    '',
    '## Violations',
    '',
    '| class | severity | device | bytes exposed | count | rule | path |',
    '|---|---|---|---|---|---|---|',
    ...(report.violations ?? []).map(
      (v) =>
        `| ${cell(v['class'])} | ${cell(v['severity'])} | ${cell(v['deviceId'])} | ${cell(v['bytesExposed'])} | ${cell(v['count'])} | ${cell(v['rule'])} | ${cell(v['path'])} |`,
    ),
    '',
    '## Failures',
    '',
    '| class | severity | device | count | rule | explanation |',
    '|---|---|---|---|---|---|',
    ...(report.failures ?? []).map(
      (f) =>
        `| ${cell(f.class)} | ${cell(f.severity)} | ${cell(f.deviceId)} | ${cell(f.count)} | ${cell(f.rule)} | ${cell(f.explanation)} |`,
    ),
    '',
    '## Metrics',
    '',
    '| metric | value |',
    '|---|---|',
    ...Object.entries(report.metrics ?? {}).map(([key, value]) => `| ${cell(key)} | ${cell(value)} |`),
    '',
    '## Kernel log',
    '',
    '```',
    ...(report.kernelLog ?? []).map((line) => line.text),
    '```',
    '',
  ];
  return lines.join('\n');
}

/** Starts a browser download of text content. */
export function downloadText(filename: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export type DiffLine = { kind: 'same' | 'added' | 'removed'; text: string };

/** Line diff (longest common subsequence) of two texts; specs are small, so O(n·m) is fine. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      out.push({ kind: 'removed', text: a[i++]! });
    } else {
      out.push({ kind: 'added', text: b[j++]! });
    }
  }
  while (i < a.length) out.push({ kind: 'removed', text: a[i++]! });
  while (j < b.length) out.push({ kind: 'added', text: b[j++]! });
  return out;
}

/** Stable, indented JSON (keys sorted) so diffs of specs show real changes only. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}
