import { AppError, notFound } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { TeamRepository } from './team.repository';
import { mintToken, parseBearer, secretMatches } from './token-secret';
import { requireRole, type UserInputError } from '../common/user-errors';
import { type ApiToken, type Role, type Team, tokenTouchIntervalMs, type Viewer } from './team.types';

const teamNamePattern = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;

type StoredCredential = NonNullable<Awaited<ReturnType<TeamRepository['findCredentialByPrefix']>>>;

export interface TeamServiceOptions {
  /**
   * How long a credential row read for authentication is reused (default 10 s). A revocation evicts
   * it at once in this process and, through the token-revoked notification, in the other API
   * processes; the lifetime bounds a revocation that a process did not hear (listener down).
   */
  readonly credentialCacheMs?: number;
}

/** Credential rows cached by prefix, at most this many (cleared when full: unknown prefixes are never cached). */
const credentialCacheEntries = 10_000;

/** Teams, tokens and authentication. */
export class TeamService {
  constructor(
    private readonly teams: TeamRepository,
    private readonly clock: Clock,
    private readonly options: TeamServiceOptions = {},
  ) {}

  /** Credential rows by prefix (salt and hash only, never a secret), with when each stops being reused. */
  private readonly credentials = new Map<string, { stored: StoredCredential; reuseUntilMs: number }>();

  /**
   * Counts forgets: a row read while a forget happened may predate the revocation, so it serves its
   * own request but is not cached (else it would outlive the revocation by up to the cache lifetime).
   */
  private forgets = 0;

  /** Drops the cached credential of `prefix` (its token was revoked, here or in another process). */
  forgetCredential(prefix: string): void {
    this.forgets++;
    this.credentials.delete(prefix);
  }

  /** Drops every cached credential (revocations may have been missed while the listener was away). */
  forgetAllCredentials(): void {
    this.forgets++;
    this.credentials.clear();
  }

  /** The credential row of `prefix`, from the cache while it is fresh: authentication is then no round trip. */
  private async credential(prefix: string, nowMs: number): Promise<StoredCredential | undefined> {
    const cached = this.credentials.get(prefix);
    if (cached && cached.reuseUntilMs > nowMs) return cached.stored;
    const forgetsBefore = this.forgets;
    const stored = await this.teams.findCredentialByPrefix(prefix);
    if (!stored) {
      this.credentials.delete(prefix);
      return undefined;
    }
    if (this.forgets !== forgetsBefore) return stored;
    if (this.credentials.size >= credentialCacheEntries) this.credentials.clear();
    this.credentials.set(prefix, { stored, reuseUntilMs: nowMs + (this.options.credentialCacheMs ?? 10_000) });
    return stored;
  }

  /** Creates a team and its first admin token (`dmasim team create`, first start). */
  async createTeam(name: string): Promise<{ team: Team; bearer: string }> {
    if (!teamNamePattern.test(name)) {
      throw new AppError(
        'BAD_USER_INPUT',
        'team name must be 1-100 characters: letters, digits, space, . _ - (starting with a letter or digit)',
      );
    }
    const team = await this.teams.createTeam(name);
    const minted = mintToken();
    await this.teams.insertToken({
      teamId: team.id,
      name: 'first admin token',
      role: 'admin',
      prefix: minted.prefix,
      salt: minted.salt,
      secretHash: minted.secretHash,
    });
    return { team, bearer: minted.bearer };
  }

  /** True when no team exists yet (first start of a fresh database). */
  async isEmpty(): Promise<boolean> {
    return (await this.teams.countTeams()) === 0;
  }

  findTeamByName(name: string): Promise<Team | undefined> {
    return this.teams.findTeamByName(name);
  }

  /** The viewer for an `Authorization` header value; throws UNAUTHENTICATED for anything else. */
  async authenticate(authorization: string | undefined): Promise<Viewer> {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (bearer === undefined) throw new AppError('UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    const parsed = parseBearer(bearer);
    const now = this.clock.now();
    const stored = parsed && (await this.credential(parsed.prefix, now.getTime()));
    if (!parsed || !stored || !secretMatches(stored, parsed.secret))
      throw new AppError('UNAUTHENTICATED', 'unknown token');
    if (stored.revokedAt !== null) throw new AppError('UNAUTHENTICATED', 'token revoked');
    // The credential row says when it was last recorded: skip the write (a round trip per request) within the minute.
    if (stored.lastUsedAt === null || now.getTime() - stored.lastUsedAt.getTime() >= tokenTouchIntervalMs) {
      await this.teams.touchToken(stored.id, now);
      const cached = this.credentials.get(parsed.prefix);
      if (cached?.stored === stored) cached.stored = { ...stored, lastUsedAt: now };
    }
    return { teamId: stored.teamId, tokenId: stored.id, role: stored.role };
  }

  async team(viewer: Viewer): Promise<Team> {
    const team = await this.teams.findTeamById(viewer.teamId);
    if (!team) throw notFound('team', viewer.teamId);
    return team;
  }

  async createToken(
    viewer: Viewer,
    input: { name: string; role: Role },
  ): Promise<{ token: ApiToken; bearer: string } | { userErrors: UserInputError[] }> {
    requireRole(viewer, 'admin');
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100)
      return { userErrors: [{ path: ['input', 'name'], message: 'must be 1-100 characters', code: 'INVALID_NAME' }] };
    const minted = mintToken();
    const token = await this.teams.insertToken({
      teamId: viewer.teamId,
      name,
      role: input.role,
      prefix: minted.prefix,
      salt: minted.salt,
      secretHash: minted.secretHash,
    });
    return { token, bearer: minted.bearer };
  }

  listTokens(viewer: Viewer): Promise<ApiToken[]> {
    requireRole(viewer, 'admin');
    return this.teams.listTokens(viewer.teamId);
  }

  async revokeToken(viewer: Viewer, id: string): Promise<ApiToken> {
    requireRole(viewer, 'admin');
    const token = await this.teams.revokeToken(viewer.teamId, id, this.clock.now());
    if (!token) throw notFound('token', id);
    this.forgetCredential(token.prefix);
    return token;
  }
}
