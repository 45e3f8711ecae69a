/**
 * Why a run ended FAILED or TIMED_OUT, as stored in `run.error_code`. Typed end to end: the
 * executor writes the code with the status, so nothing downstream parses it back out of a message.
 */
export type RunErrorCode =
  /** The stored spec, with the run's overrides applied, no longer validates. */
  | 'SPEC_INVALID'
  /** The engine broke one of its own invariants (deterministic: a retry fails the same way). */
  | 'ENGINE_INVARIANT'
  /** The run exceeded its time limit. */
  | 'TIME_LIMIT'
  /** The job failed on every attempt for an infrastructure reason (crash, database, Redis). */
  | 'WORKER_FAILED'
  /** The reconciler found the run RUNNING without a job after too many attempts. */
  | 'WORKER_LOST';

/** A run that must not be retried: same input, same failure. Carries the code to store. */
export class RunFailedError extends Error {
  override readonly name = 'RunFailedError';
  constructor(
    readonly code: RunErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Prisma codes of an unreachable, closed or exhausted database connection, and of a transaction
 * that expired because the database was too slow or went away in the middle (P2028).
 */
const unavailableDatabaseCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);
/** Driver-adapter error kinds (Prisma 7 over node-postgres) that mean the same. */
const unavailableDriverKinds = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
/**
 * Node socket errors, and PostgreSQL SQLSTATEs for shutdown (57P0x), connection exceptions (08xxx)
 * and too many connections. Not 08P01 (protocol_violation): PostgreSQL sends it for a malformed
 * message from this client, such as a prepared statement bound with the wrong number of
 * parameters. That is a bug, and retried as an outage it would keep its runs RUNNING for ever.
 */
const unavailableSystemCodes =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|57P0\d|08(?!P01)\w{3}|53300)$/;
const unavailableMessages =
  /Connection terminated|Connection is closed|connect ECONNREFUSED|terminating connection|the database system is (starting up|shutting down|in recovery mode)|Can't reach database server|Server has closed the connection|Reached the max retries per request|Client has encountered a connection error/i;

/**
 * True when an execution failed because of its surroundings (PostgreSQL or Redis unreachable or
 * restarting, a connection dropped) rather than because of the run: such a failure says nothing
 * about the run, so it is retried without using up the run's attempts and never ends it FAILED.
 */
export function isInfrastructureError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const candidate = current as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: unknown };
      cause?: unknown;
    };
    if (typeof candidate.code === 'string') {
      if (unavailableDatabaseCodes.has(candidate.code) || unavailableSystemCodes.test(candidate.code)) return true;
    }
    if (typeof candidate.kind === 'string' && unavailableDriverKinds.has(candidate.kind)) return true;
    if (typeof candidate.originalCode === 'string' && unavailableSystemCodes.test(candidate.originalCode)) return true;
    if (typeof candidate.message === 'string' && unavailableMessages.test(candidate.message)) return true;
    current = candidate.meta?.driverAdapterError ?? candidate.cause;
  }
  return false;
}
