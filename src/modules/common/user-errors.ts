import { AppError, notFound } from '../../platform/app-error';
import { hasRole, type Role, type Viewer } from '../team/team.types';

/** One problem with a mutation's input, returned to the client as data (the `InputRejected` union member). */
export interface UserInputError {
  readonly path: readonly string[];
  readonly message: string;
  readonly code: string;
}

/** A mutation's result: the value, or the input problems that stopped it. */
export type Outcome<T> = T | { userErrors: UserInputError[] };

/** An outcome carrying one input problem. */
export function rejected(path: string[], message: string, code: string): { userErrors: UserInputError[] } {
  return { userErrors: [{ path, message, code }] };
}

/**
 * The id-taking queries' one convention: an id that names nothing the caller's team can see
 * (missing, or another team's) is a NOT_FOUND error, exactly like the mutations and the exports.
 */
export function orNotFound<T>(value: T | undefined, what: string, id: string): T {
  if (value === undefined) throw notFound(what, id);
  return value;
}

/** Throws FORBIDDEN unless the viewer's role grants `required`. */
export function requireRole(viewer: Viewer, required: Role): void {
  if (!hasRole(viewer.role, required))
    throw new AppError('FORBIDDEN', `this needs the ${required} role; the token has ${viewer.role}`);
}
