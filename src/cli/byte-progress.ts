/** A throttled one-line "bytes read" bar on a terminal stream, for commands that stream a file. */
export interface ByteProgress {
  update(doneBytes: number): void;
  clear(): void;
}

export function createByteProgress(
  stream: NodeJS.WritableStream,
  totalBytes: number,
  label: string,
  now: () => number = () => performance.now(),
): ByteProgress {
  const startedMs = now();
  let lastDrawMs = -Infinity;
  let drawn = false;
  const MiB = 1024 * 1024;
  return {
    update(doneBytes) {
      const t = now();
      if (t - startedMs < 300 || t - lastDrawMs < 100) return;
      lastDrawMs = t;
      const fraction = totalBytes === 0 ? 1 : Math.min(1, doneBytes / totalBytes);
      const filled = Math.round(fraction * 24);
      const rate = doneBytes / MiB / Math.max((t - startedMs) / 1000, 1e-3);
      stream.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(24 - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${(doneBytes / MiB).toFixed(0)}/${(totalBytes / MiB).toFixed(0)} MiB  ${rate.toFixed(1)} MiB/s  ${label}\u001b[K`,
      );
      drawn = true;
    },
    clear() {
      if (drawn) stream.write('\r\u001b[K');
      drawn = false;
    },
  };
}
