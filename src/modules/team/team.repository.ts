import type { Database } from '../../platform/db';
import { translateUnique } from '../common/prisma-errors';
import type { ApiToken as ApiTokenRow, Team as TeamRow } from '../../generated/prisma/client';
import { type ApiToken, type Role, type Team, tokenRevokedChannel, tokenTouchIntervalMs } from './team.types';

/** All SQL for teams and tokens. */
export class TeamRepository {
  constructor(private readonly db: Database) {}

  async createTeam(name: string): Promise<Team> {
    try {
      return toTeam(await this.db.team.create({ data: { name } }));
    } catch (error: unknown) {
      throw translateUnique(error, `team name '${name}' is taken`);
    }
  }

  async countTeams(): Promise<number> {
    return this.db.team.count();
  }

  async findTeamById(id: string): Promise<Team | undefined> {
    const row = await this.db.team.findUnique({ where: { id } });
    return row ? toTeam(row) : undefined;
  }

  async findTeamByName(name: string): Promise<Team | undefined> {
    const row = await this.db.team.findUnique({ where: { name } });
    return row ? toTeam(row) : undefined;
  }

  async insertToken(token: {
    teamId: string;
    name: string;
    role: Role;
    prefix: string;
    salt: Buffer;
    secretHash: Buffer;
  }): Promise<ApiToken> {
    return toToken(
      await this.db.apiToken.create({
        data: { ...token, salt: new Uint8Array(token.salt), secretHash: new Uint8Array(token.secretHash) },
      }),
    );
  }

  /** The stored credential for a prefix, revoked or not (the caller decides). */
  async findCredentialByPrefix(
    prefix: string,
  ): Promise<(ApiToken & { salt: Uint8Array; secretHash: Uint8Array }) | undefined> {
    const row = await this.db.apiToken.findUnique({ where: { prefix } });
    return row ? { ...toToken(row), salt: row.salt, secretHash: row.secretHash } : undefined;
  }

  /** Records use at most once per `tokenTouchIntervalMs` per token (also across API processes), so authentication is not a write per request. */
  async touchToken(id: string, now: Date): Promise<void> {
    const staleBefore = new Date(now.getTime() - tokenTouchIntervalMs);
    await this.db.apiToken.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: staleBefore } }] },
      data: { lastUsedAt: now },
    });
  }

  async listTokens(teamId: string): Promise<ApiToken[]> {
    const rows = await this.db.apiToken.findMany({
      where: { teamId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return rows.map(toToken);
  }

  /**
   * Revokes a token of the team; keeps the first revocation time. Undefined when the team has no such
   * token. NOTIFYs `tokenRevokedChannel` with the prefix after the revocation committed, so every API
   * process drops its cached credential.
   */
  async revokeToken(teamId: string, id: string, now: Date): Promise<ApiToken | undefined> {
    await this.db.apiToken.updateMany({ where: { id, teamId, revokedAt: null }, data: { revokedAt: now } });
    const row = await this.db.apiToken.findFirst({ where: { id, teamId } });
    if (!row) return undefined;
    await this.db.$executeRaw`SELECT pg_notify(${tokenRevokedChannel}, ${row.prefix})`;
    return toToken(row);
  }
}

function toTeam(row: TeamRow): Team {
  return { id: row.id, name: row.name, createdAt: row.createdAt };
}

function toToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    teamId: row.teamId,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}
