import { AppError } from '../../platform/app-error';

/**
 * Keyset cursors: the (createdAt, id) of the last row seen, base64url-encoded so clients treat
 * them as opaque. Keyset pagination never skips or repeats rows when others are inserted meanwhile.
 */
export interface CursorKey {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString('base64url');
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// What encodeCursor writes (Date.toISOString within PostgreSQL's timestamptz range): anything else was forged.
const isoInstantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The key of a cursor from encodeCursor; anything else (forged, corrupted, another id shape) is BAD_USER_INPUT, never a database error. */
export function decodeCursor(cursor: string): CursorKey {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdAt !== 'string' || !isoInstantPattern.test(createdAt)) throw new Error('shape');
    const date = new Date(createdAt);
    if (typeof id !== 'string' || !uuidPattern.test(id) || Number.isNaN(date.getTime())) throw new Error('shape');
    return { createdAt: date, id };
  } catch {
    throw new AppError('BAD_USER_INPUT', 'invalid cursor: pass an endCursor from a previous page'); // any decoding failure means a forged or corrupted cursor
  }
}

/** Page size limits shared by every connection. */
export function pageSize(first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > 100)
    throw new AppError('BAD_USER_INPUT', `first must be between 1 and 100, got ${size}`);
  return size;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

/** Maps a page of rows to a Relay connection. */
export function toConnection<T extends CursorKey>(page: Page<T>, afterGiven: boolean) {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: afterGiven,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
