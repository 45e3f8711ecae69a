import { runToReport as runScenario } from '../run-report';
import type { EngineReport, FailureFinding, ViolationFinding } from '../report/report.types';
import type { NormalizedScenario } from '../spec/normalize';
import type { ExplicitOp } from '../spec/scenario.schema';
import { validateScenario } from '../spec/validate';
import { ddmin } from './ddmin';
import { materializeStreams } from './materialize';
import { type FindingSelector, matchingFindings } from './selector';
import { shrinkSizes } from './shrink';

export interface MinimizeOptions {
  /** Time bound: `now()` in ms and a deadline; past it the best spec so far is returned (complete: false). */
  readonly now?: () => number;
  readonly deadlineMs?: number;
  /** Called after each candidate run. */
  readonly onProgress?: (progress: { readonly runs: number; readonly ops: number; readonly phase: string }) => void;
}

export interface MinimizeSuccess {
  readonly ok: true;
  /** The reproducer: the input spec with an explicit op list and only the devices it uses. */
  readonly spec: NormalizedScenario;
  readonly report: EngineReport;
  readonly findings: ReadonlyArray<ViolationFinding | FailureFinding>;
  readonly opsBefore: number;
  readonly runs: number;
  /** False when the deadline cut the search short (the spec still reproduces, but may not be minimal). */
  readonly complete: boolean;
  /** True when the input's streams were first written out as an explicit list. */
  readonly materialized: boolean;
}

export type MinimizeResult = MinimizeSuccess | { readonly ok: false; readonly error: string };

/** Builds the candidate spec for an op list: explicit workload, devices the ops name (at least one). */
export function candidateSpec(base: NormalizedScenario, ops: readonly ExplicitOp[]): unknown {
  const used = new Set(ops.flatMap((op) => ('device' in op ? [op.device] : [])));
  const devices = base.devices.filter((d) => used.has(d.id));
  return {
    ...base,
    devices: devices.length > 0 ? devices : base.devices.slice(0, 1),
    workload: { ...base.workload, operations: ops.length, streams: [], explicit: ops },
  };
}

/** Groups ops into removal units: everything done to one mapping or region stays together, so removing a unit keeps the spec valid. */
function units(ops: readonly ExplicitOp[]): number[][] {
  const byId = new Map<string, number[]>();
  const out: number[][] = [];
  ops.forEach((op, i) => {
    if (!('id' in op)) return void out.push([i]);
    const group = byId.get(op.id);
    if (group) group.push(i);
    else {
      const fresh = [i];
      byId.set(op.id, fresh);
      out.push(fresh);
    }
  });
  return out;
}

/**
 * Delta-debugs a spec down to a minimal reproducer of the selected finding: streams are written out
 * as explicit calls, the list is cut after the finding's first op, ddmin removes whole mapping
 * lifetimes, then single ops, then buffer sizes shrink. Deterministic: the engine is.
 */
export function minimizeFinding(
  spec: NormalizedScenario,
  selector: FindingSelector,
  options: MinimizeOptions = {},
): MinimizeResult {
  const base = runScenario(spec);
  if (matchingFindings(base, selector).length === 0)
    return {
      ok: false,
      error: `the spec does not show '${selector.text}' (findings: ${[...base.violations, ...base.failures].map((f) => `${f.class} on ${f.deviceId}`).join(', ') || 'none'})`,
    };
  const materialized = spec.workload.explicit.length === 0;
  let ops: readonly ExplicitOp[] = materialized ? materializeStreams(spec) : spec.workload.explicit;
  const opsBefore = ops.length;
  let runs = 0;
  let phase = 'check';
  let last: { spec: NormalizedScenario; report: EngineReport } | null = null;
  const expired = (): boolean =>
    options.now !== undefined && options.deadlineMs !== undefined && options.now() > options.deadlineMs;
  const keeps = (candidate: readonly ExplicitOp[]): boolean => {
    runs++;
    const checked = validateScenario(candidateSpec(spec, candidate));
    const report = checked.ok ? runScenario(checked.spec) : null;
    options.onProgress?.({ runs, ops: candidate.length, phase });
    if (!checked.ok || report === null || matchingFindings(report, selector).length === 0) return false;
    last = { spec: checked.spec, report };
    return true;
  };
  if (!keeps(ops))
    return {
      ok: false,
      error: `the streams written out as ${ops.length} explicit calls do not show '${selector.text}' (the explicit replay differs from the stream run)`,
    };
  phase = 'prefix';
  const first = Math.min(...matchingFindings(last!.report, selector).map((f) => f.firstOp));
  if (first + 1 < ops.length && keeps(ops.slice(0, first + 1))) ops = ops.slice(0, first + 1);
  phase = 'ddmin';
  const groups = units(ops);
  const opsOf = (chosen: readonly number[][]): ExplicitOp[] =>
    chosen
      .flat()
      .sort((a, b) => a - b)
      .map((i) => ops[i]!);
  const reduced = ddmin(groups, (candidate) => keeps(opsOf(candidate)), expired);
  ops = opsOf(reduced.items);
  phase = 'single ops';
  const singles = removeSingles(ops, keeps, expired);
  ops = singles.ops;
  phase = 'sizes';
  const shrunk = shrinkSizes(ops, keeps, expired);
  ops = shrunk.ops;
  // A smaller buffer can make another op redundant: one more single-op pass keeps the list 1-minimal.
  const again = shrunk.ops === singles.ops ? singles : removeSingles(ops, keeps, expired);
  ops = again.ops;
  // Re-run the final list so spec and report belong together (the last successful run may be an earlier candidate).
  keeps(ops);
  const final = last as unknown as { spec: NormalizedScenario; report: EngineReport };
  return {
    ok: true,
    spec: final.spec,
    report: final.report,
    findings: matchingFindings(final.report, selector),
    opsBefore,
    runs,
    complete: reduced.complete && singles.complete && shrunk.complete && again.complete,
    materialized,
  };
}

/** Removes single ops while the finding stays, until no single removal keeps it (1-minimal over ops). */
function removeSingles(
  start: readonly ExplicitOp[],
  keeps: (ops: readonly ExplicitOp[]) => boolean,
  expired: () => boolean,
): { ops: readonly ExplicitOp[]; complete: boolean } {
  let ops = start;
  for (let changed = true; changed;) {
    changed = false;
    for (let i = ops.length - 1; i >= 0 && ops.length > 1; i--) {
      if (expired()) return { ops, complete: false };
      const without = [...ops.slice(0, i), ...ops.slice(i + 1)];
      if (keeps(without)) {
        ops = without;
        changed = true;
      }
    }
  }
  return { ops, complete: true };
}
