import { AppError } from '../../platform/app-error';

/**
 * True for the error a unique index raises: Prisma's P2002, or SQLSTATE 23505 from a statement sent
 * with node-postgres directly (platform/db.ts `sql`). Repositories translate it so services never see
 * driver codes.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 'P2002' || code === '23505';
}

/** A unique violation becomes CONFLICT with `message`; anything else propagates unchanged. */
export function translateUnique(error: unknown, message: string): unknown {
  return isUniqueViolation(error) ? new AppError('CONFLICT', message) : error;
}
