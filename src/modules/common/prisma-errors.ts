import { AppError } from '../../platform/app-error';

/** True for Prisma's P2002, the error a unique index raises; repositories translate it so services never see Prisma codes. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2002';
}

/** A unique violation becomes CONFLICT with `message`; anything else propagates unchanged. */
export function translateUnique(error: unknown, message: string): unknown {
  return isUniqueViolation(error) ? new AppError('CONFLICT', message) : error;
}
