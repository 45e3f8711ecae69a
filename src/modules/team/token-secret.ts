import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens look like `dms_<prefix>_<secret>`: the prefix (12 hex chars) finds the row, the
 * secret (32 random bytes, base64url) is checked against a salted SHA-256. Only prefix, salt and
 * hash are stored, so a database leak reveals no usable token.
 */
const tokenPattern = /^dms_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  /** The full bearer token, shown to the user once. */
  readonly bearer: string;
  readonly prefix: string;
  readonly salt: Buffer;
  readonly secretHash: Buffer;
}

export function hashSecret(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret, 'utf8').digest();
}

export function mintToken(): MintedToken {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  return { bearer: `dms_${prefix}_${secret}`, prefix, salt, secretHash: hashSecret(salt, secret) };
}

/** Splits a bearer token into prefix and secret; undefined when it is not shaped like one of ours. */
export function parseBearer(bearer: string): { prefix: string; secret: string } | undefined {
  const match = tokenPattern.exec(bearer);
  return match ? { prefix: match[1]!, secret: match[2]! } : undefined;
}

export function secretMatches(stored: { salt: Uint8Array; secretHash: Uint8Array }, secret: string): boolean {
  const actual = hashSecret(Buffer.from(stored.salt), secret);
  const expected = Buffer.from(stored.secretHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
