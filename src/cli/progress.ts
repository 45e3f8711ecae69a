/** A throttled one-line progress bar on a terminal stream (stderr); callers create it only for a TTY. */
export interface ProgressBar {
  update(done: number, total: number): void;
  /** Erases the bar so the next output starts on a clean line. */
  clear(): void;
}

/** Redraws at most this often. */
const redrawEveryMs = 100;
/** Runs shorter than this never draw: a bar that flashes for a few milliseconds is noise. */
const showAfterMs = 300;

export function createProgressBar(
  stream: NodeJS.WritableStream,
  label: string,
  now: () => number = () => performance.now(),
): ProgressBar {
  const startedMs = now();
  let lastDrawMs = -Infinity;
  let drawn = false;
  const width = (): number => Math.max(40, Math.min(120, (stream as { columns?: number }).columns ?? 80));
  return {
    update(done, total) {
      const t = now();
      if (t - startedMs < showAfterMs || t - lastDrawMs < redrawEveryMs || done >= total) return;
      lastDrawMs = t;
      const fraction = total === 0 ? 1 : done / total;
      const rate = done / Math.max((t - startedMs) / 1000, 1e-3);
      const info = ` ${String(Math.floor(fraction * 100)).padStart(3)}%  ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ops  ${(rate / 1e6).toFixed(2)} M ops/s  `;
      const barWidth = 24;
      const filled = Math.round(fraction * barWidth);
      const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${info}${label}`;
      stream.write(`\r${line.slice(0, width() - 1)}\u001b[K`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write('\r\u001b[K');
      drawn = false;
    },
  };
}
