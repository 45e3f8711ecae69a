export type Role = 'viewer' | 'member' | 'admin';

/** Who is calling: resolved from the bearer token on every request. */
export interface Viewer {
  readonly teamId: string;
  readonly tokenId: string;
  readonly role: Role;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface ApiToken {
  readonly id: string;
  readonly teamId: string;
  readonly name: string;
  readonly role: Role;
  readonly prefix: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

const roleRank: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** True when `role` grants at least what `required` grants. */
export function hasRole(role: Role, required: Role): boolean {
  return roleRank[role] >= roleRank[required];
}

/** A token's `lastUsedAt` is recorded at most this often (ms): use is tracked to the minute, not per request. */
export const tokenTouchIntervalMs = 60_000;

/** PostgreSQL NOTIFY channel that carries a revoked token's prefix to every API process (credential caches). */
export const tokenRevokedChannel = 'dmasim_token_revoked';
