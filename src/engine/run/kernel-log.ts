import type { KernelLogLine } from '../report/report.types';

/** DEFAULT_RATELIMIT_BURST: messages let through per interval. */
export const RATELIMIT_BURST = 10;
/**
 * DEFAULT_RATELIMIT_INTERVAL is 5 s; the model has no wall clock, so an interval is a fixed number
 * of operations (deterministic: the same spec logs the same lines).
 */
export const RATELIMIT_INTERVAL_OPS = 5000;
/** The report keeps at most this many lines (the kernel's ring buffer is bounded too). */
export const KERNEL_LOG_LIMIT = 200;

/** How a call site limits its message (docs/kernel-dma.md §14.2 item 7). */
export type LogLimit = 'once' | 'ratelimited' | 'every';

interface RateState {
  windowStart: number;
  printed: number;
  missed: number;
}

/**
 * Kernel-style log: dev_WARN_ONCE / pr_warn_once print once per call site per boot;
 * dev_warn_ratelimited / pr_warn_ratelimited let RATELIMIT_BURST lines through per interval and,
 * when the next interval opens, print "<function>: N callbacks suppressed" as ___ratelimit() does.
 * Each call site (`site`, e.g. the kernel function) has its own state, like the kernel's static
 * ratelimit_state per call site.
 */
export class KernelLog {
  readonly lines: KernelLogLine[] = [];
  private readonly once = new Set<string>();
  private readonly rates = new Map<string, RateState>();
  /** Lines the kernel printed but the bounded report dropped. */
  dropped = 0;

  private push(op: number, text: string): void {
    if (this.lines.length < KERNEL_LOG_LIMIT) this.lines.push({ op, text });
    else this.dropped++;
  }

  /** Would a line at `site` be printed now? (Lets callers skip building strings for suppressed lines.) */
  wouldPrint(site: string, limit: LogLimit, op: number): boolean {
    if (limit === 'every') return true;
    if (limit === 'once') return !this.once.has(site);
    const state = this.rates.get(site);
    return !state || op - state.windowStart >= RATELIMIT_INTERVAL_OPS || state.printed < RATELIMIT_BURST;
  }

  /** Logs `text` (a function, built only when printed) from call site `site`. Returns whether it was printed. */
  log(site: string, limit: LogLimit, op: number, text: string | (() => string)): boolean {
    if (limit === 'once') {
      if (this.once.has(site)) return false;
      this.once.add(site);
    } else if (limit === 'ratelimited') {
      let state = this.rates.get(site);
      if (!state) {
        state = { windowStart: op, printed: 0, missed: 0 };
        this.rates.set(site, state);
      } else if (op - state.windowStart >= RATELIMIT_INTERVAL_OPS) {
        if (state.missed > 0) this.push(op, `${site}: ${state.missed} callbacks suppressed`);
        state.windowStart = op;
        state.printed = 0;
        state.missed = 0;
      }
      if (state.printed >= RATELIMIT_BURST) {
        state.missed++;
        return false;
      }
      state.printed++;
    }
    this.push(op, typeof text === 'function' ? text() : text);
    return true;
  }
}
