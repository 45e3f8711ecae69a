/**
 * The line shapes ftrace prints around an event, for the two ways people save a trace:
 *
 * - `/sys/kernel/tracing/trace` (and trace_pipe): `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS`,
 *   with an optional `(TGID)` column after the pid (options/record-tgid) and the FLAGS column
 *   (irqs-off, need-resched, hardirq/softirq, preempt depth) only when options/irq-info is on;
 *   header lines start with `#`.
 * - `trace-cmd report`: `TASK-PID [CPU] TIMESTAMP: EVENT: FIELDS` with the event name padded, an
 *   optional latency/flags column, and its own header (`cpus=N`, `version = 6`, `CPU 0 is empty`).
 *
 * Both put the event's TP_printk text after the second `: `. The task name may itself contain
 * spaces and dashes, so the pid is the last `-digits` before the `[CPU]` column.
 */

/** One event line, split into its ftrace prefix and the event's own text. */
export interface TraceEventLine {
  readonly task: string;
  readonly pid: number;
  readonly cpu: number;
  /** Seconds as printed (kept as text: the engine has no clock and needs only the order). */
  readonly timestamp: string;
  /** Event name without the `dma:`/`swiotlb:` system prefix trace-cmd can print. */
  readonly event: string;
  readonly body: string;
  /** 0-based offset of `body` in the line, for line:column errors. */
  readonly bodyOffset: number;
}

export type TraceLine =
  | { readonly kind: 'event'; readonly line: TraceEventLine }
  /** A header, comment or blank line: carries no event and is not counted as unknown. */
  | { readonly kind: 'header' }
  /** The ring buffer overflowed here (`CPU:1 [LOST 42 EVENTS]`): calls are missing, pairing may fail. */
  | { readonly kind: 'lost' }
  /** Text that is neither: counted and reported (never silently dropped). */
  | { readonly kind: 'unknown' };

const eventLine =
  /^\s*(.*?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d{1,5})\]\s+(?:[.a-zA-Z0-9]{1,6}\s+)?(\d+\.\d+):\s+(?:[a-z0-9_]+:)?([a-z0-9_]+):\s?/;
const headerLine = /^\s*(#|$|cpus=\d+|version\s*=|CPU\s*\d+\s+is empty)/;
const lostLine = /^\s*CPU:?\s*\d+\s*\[LOST/;

/** Splits one line of trace text. */
export function splitTraceLine(text: string): TraceLine {
  const match = eventLine.exec(text);
  if (match === null)
    return lostLine.test(text) ? { kind: 'lost' } : headerLine.test(text) ? { kind: 'header' } : { kind: 'unknown' };
  const [prefix, task = '', pid = '0', cpu = '0', timestamp = '', event = ''] = match;
  return {
    kind: 'event',
    line: {
      task: task.trim(),
      pid: Number(pid),
      cpu: Number(cpu),
      timestamp,
      event,
      body: text.slice(prefix.length),
      bodyOffset: prefix.length,
    },
  };
}
