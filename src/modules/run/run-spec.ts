import { createEngineRun, EngineInvariantError, type EngineReport, type NormalizedScenario } from '../../engine/index';
import type { NormalizedSpec, SpecCheck, SpecValidator } from '../scenario/scenario.types';
import { RunFailedError } from './run.errors';
import type { OverlayRef } from './run.types';

export interface RunOverrides {
  readonly profile?: string | null;
  readonly overlays?: readonly OverlayRef[] | null;
  readonly seed?: bigint | null;
  /** Caps a generated workload at this many operations (an explicit op list runs whole). */
  readonly operationsCap?: number | null;
}

/** A stored spec with a run's kernel profile, overlays and seed written over it (not yet validated). */
export function applyOverrides(spec: NormalizedSpec, overrides: RunOverrides): Record<string, unknown> {
  const copy = structuredClone(spec) as Record<string, unknown>;
  const kernel = { ...((copy['kernel'] as Record<string, unknown> | undefined) ?? {}) };
  if (overrides.profile) kernel['profile'] = overrides.profile;
  if (overrides.overlays)
    kernel['overlays'] = overrides.overlays.map((o) => (o.variant ? { name: o.name, variant: o.variant } : o.name));
  copy['kernel'] = kernel;
  if (overrides.seed !== undefined && overrides.seed !== null) {
    copy['workload'] = {
      ...((copy['workload'] as Record<string, unknown> | undefined) ?? {}),
      seed: Number(overrides.seed),
    };
  }
  const cap = overrides.operationsCap;
  const workload = (copy['workload'] as Record<string, unknown> | undefined) ?? {};
  const explicit = Array.isArray(workload['explicit']) && workload['explicit'].length > 0;
  if (cap !== undefined && cap !== null && !explicit && typeof workload['operations'] === 'number')
    copy['workload'] = { ...workload, operations: Math.min(workload['operations'], cap) };
  return copy;
}

/** The spec a stored run runs: its version's spec with the run's own profile, overlays, seed and operations cap, validated. */
export function specOfRun(
  specs: SpecValidator,
  versionSpec: NormalizedSpec,
  run: { profile: string; overlays: readonly OverlayRef[]; seed: bigint; operationsCap?: number | null },
): SpecCheck {
  return specs.validate(
    applyOverrides(versionSpec, {
      profile: run.profile,
      overlays: run.overlays,
      seed: run.seed,
      operationsCap: run.operationsCap ?? null,
    }),
  );
}

/** How a sliced engine run ended: finished with its report, or stopped by `betweenSlices`. */
export type SlicedRun =
  | { readonly kind: 'finished'; readonly report: EngineReport; readonly operations: number; readonly engineMs: number }
  | { readonly kind: 'stopped'; readonly fraction: number };

/**
 * The one way the service runs the engine (the executor and replay checks): synchronous slices of
 * `sliceOperations` with an event-loop turn between them, so lock renewal, cancellation checks and
 * other requests keep running. `betweenSlices` gets the progress fraction and returns true to stop.
 * `spec` is what the SpecValidator accepted (the engine's own validator behind the port, so it is
 * the engine's normalised scenario). An engine invariant failure becomes RunFailedError(ENGINE_INVARIANT).
 */
export async function runEngineInSlices(
  spec: NormalizedSpec,
  sliceOperations: number,
  betweenSlices: (fraction: number) => Promise<boolean>,
): Promise<SlicedRun> {
  try {
    const engineRun = createEngineRun(spec as unknown as NormalizedScenario);
    const fraction = (): number =>
      engineRun.operationsTotal === 0 ? 1 : engineRun.operationsDone / engineRun.operationsTotal;
    let engineMs = 0;
    for (;;) {
      const sliceStartMs = performance.now();
      const done = engineRun.step(sliceOperations);
      engineMs += performance.now() - sliceStartMs;
      if (done) break;
      await new Promise((resolve) => setImmediate(resolve));
      if (await betweenSlices(fraction())) return { kind: 'stopped', fraction: fraction() };
    }
    const finishStartMs = performance.now();
    const report = engineRun.finish();
    engineMs += performance.now() - finishStartMs;
    return { kind: 'finished', report, operations: engineRun.operationsDone, engineMs };
  } catch (error: unknown) {
    // The engine is deterministic: a broken invariant fails the same way on every retry.
    if (error instanceof EngineInvariantError) throw new RunFailedError('ENGINE_INVARIANT', error.message);
    throw error;
  }
}
