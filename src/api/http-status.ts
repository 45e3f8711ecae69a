import type { AppErrorCode } from '../platform/app-error';

/** The HTTP status of each AppError code, for every transport (GraphQL context errors, exports, queue dashboard); a new code without a row fails tsc. */
export const httpStatusFor: Record<AppErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
};
