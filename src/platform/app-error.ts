/**
 * Client-facing failures that are not input validation: the one error class services throw.
 * src/api/errors.ts maps each code to a GraphQL error code (a missing mapping fails tsc).
 */
export type AppErrorCode =
  'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'CONFLICT' | 'BAD_USER_INPUT' | 'RATE_LIMITED';

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** The one way to say "no such thing in your team": other teams' ids look exactly like missing ids. */
export function notFound(what: string, id: string): AppError {
  return new AppError('NOT_FOUND', `${what} ${id} not found`);
}
