/**
 * Thrown when the engine's own state is inconsistent: a bug, never a simulation outcome.
 * Workers turn it into an unrecoverable job failure (the engine is deterministic, so a retry
 * would fail the same way).
 */
export class EngineInvariantError extends Error {
  override readonly name = 'EngineInvariantError';
}

/** graphql-js style assertion: `invariant(cond, 'message with numbers')`. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new EngineInvariantError(message);
}
