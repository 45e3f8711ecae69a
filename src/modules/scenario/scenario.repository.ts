import type { Database } from '../../platform/db';
import {
  type Prisma,
  type Scenario as ScenarioRow,
  type ScenarioVersion as ScenarioVersionRow,
} from '../../generated/prisma/client';
import type { CursorKey, Page } from '../common/cursor';
import { translateUnique } from '../common/prisma-errors';
import type { NormalizedSpec, Scenario, ScenarioFilter, ScenarioVersion } from './scenario.types';
import { likeLiteral } from '../common/like-pattern';

/** All SQL for scenarios and their versions; every method takes the team id. */
export class ScenarioRepository {
  constructor(private readonly db: Database) {}

  /** Creates the scenario and its version 1 in one transaction. */
  async create(input: {
    teamId: string;
    name: string;
    description: string;
    tags: string[];
    spec: NormalizedSpec;
    specHash: string;
    tokenId: string;
  }): Promise<{ scenario: Scenario; version: ScenarioVersion }> {
    try {
      return await this.db.$transaction(async (tx) => {
        const scenario = await tx.scenario.create({
          data: { teamId: input.teamId, name: input.name, description: input.description, tags: input.tags },
        });
        const version = await tx.scenarioVersion.create({
          data: {
            teamId: input.teamId,
            scenarioId: scenario.id,
            version: 1,
            spec: input.spec as Prisma.InputJsonValue,
            specHash: input.specHash,
            diffSummary: 'first version',
            createdByTokenId: input.tokenId,
          },
        });
        return { scenario: toScenario(scenario), version: toVersion(version) };
      });
    } catch (error: unknown) {
      throw translateUnique(error, `a scenario named '${input.name}' already exists in this team`);
    }
  }

  /**
   * Applies metadata changes and, when given, appends a version. The row lock on the scenario
   * serialises concurrent updates, so version numbers never collide.
   */
  async update(input: {
    teamId: string;
    id: string;
    description?: string;
    tags?: string[];
    newVersion?: { spec: NormalizedSpec; specHash: string; diffSummary: string; tokenId: string };
  }): Promise<{ scenario: Scenario; version?: ScenarioVersion } | undefined> {
    return this.db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<
        Array<{ latest_version: number }>
      >`SELECT latest_version FROM scenario WHERE id = ${input.id}::uuid AND team_id = ${input.teamId}::uuid FOR UPDATE`;
      const current = locked[0];
      if (!current) return undefined;
      let version: ScenarioVersion | undefined;
      if (input.newVersion) {
        const row = await tx.scenarioVersion.create({
          data: {
            teamId: input.teamId,
            scenarioId: input.id,
            version: current.latest_version + 1,
            spec: input.newVersion.spec as Prisma.InputJsonValue,
            specHash: input.newVersion.specHash,
            diffSummary: input.newVersion.diffSummary,
            createdByTokenId: input.newVersion.tokenId,
          },
        });
        version = toVersion(row);
      }
      const scenario = await tx.scenario.update({
        where: { id: input.id },
        data: {
          ...(input.description === undefined ? {} : { description: input.description }),
          ...(input.tags === undefined ? {} : { tags: input.tags }),
          ...(version ? { latestVersion: version.version, updatedAt: version.createdAt } : {}),
        },
      });
      return { scenario: toScenario(scenario), ...(version ? { version } : {}) };
    });
  }

  async archive(teamId: string, id: string, now: Date): Promise<Scenario | undefined> {
    await this.db.scenario.updateMany({ where: { id, teamId, archivedAt: null }, data: { archivedAt: now } });
    return this.findById(teamId, id);
  }

  async findById(teamId: string, id: string): Promise<Scenario | undefined> {
    const row = await this.db.scenario.findFirst({ where: { id, teamId } });
    return row ? toScenario(row) : undefined;
  }

  async findByIds(teamId: string, ids: readonly string[]): Promise<Scenario[]> {
    return (await this.db.scenario.findMany({ where: { teamId, id: { in: [...ids] } } })).map(toScenario);
  }

  async findVersion(teamId: string, versionId: string): Promise<ScenarioVersion | undefined> {
    const row = await this.db.scenarioVersion.findFirst({ where: { id: versionId, teamId } });
    return row ? toVersion(row) : undefined;
  }

  async findLatestVersion(teamId: string, scenarioId: string): Promise<ScenarioVersion | undefined> {
    const row = await this.db.scenarioVersion.findFirst({
      where: { scenarioId, teamId },
      orderBy: { version: 'desc' },
    });
    return row ? toVersion(row) : undefined;
  }

  /**
   * The version a run would use — `versionId`'s, or the scenario's latest — with its scenario's name
   * and archive state, in one round trip (submitting a run needs both).
   */
  async findVersionToRun(
    teamId: string,
    ref: { readonly versionId: string } | { readonly scenarioId: string },
  ): Promise<{ version: ScenarioVersion; scenarioName: string; scenarioArchived: boolean } | undefined> {
    const [row] =
      'versionId' in ref
        ? await this.db.sql.rows<VersionToRunRow>(versionToRunStatements.byVersion, [teamId, ref.versionId])
        : await this.db.sql.rows<VersionToRunRow>(versionToRunStatements.latestOfScenario, [teamId, ref.scenarioId]);
    if (!row) return undefined;
    return {
      version: {
        id: row.id,
        teamId: row.team_id,
        scenarioId: row.scenario_id,
        version: row.version,
        spec: row.spec as NormalizedSpec,
        specHash: row.spec_hash,
        diffSummary: row.diff_summary,
        createdAt: row.created_at,
      },
      scenarioName: row.scenario_name,
      scenarioArchived: row.scenario_archived,
    };
  }

  async listVersions(teamId: string, scenarioId: string): Promise<ScenarioVersion[]> {
    return (
      await this.db.scenarioVersion.findMany({ where: { scenarioId, teamId }, orderBy: { version: 'desc' } })
    ).map(toVersion);
  }

  /** Newest first by (createdAt, id): stable under concurrent inserts. */
  async list(teamId: string, filter: ScenarioFilter, first: number, after?: CursorKey): Promise<Page<Scenario>> {
    const where: Prisma.ScenarioWhereInput = {
      teamId,
      ...(filter.includeArchived ? {} : { archivedAt: null }),
      ...(filter.nameContains ? { name: { contains: likeLiteral(filter.nameContains), mode: 'insensitive' } } : {}),
      ...(filter.tags && filter.tags.length > 0 ? { tags: { hasEvery: [...filter.tags] } } : {}),
    };
    const page = after
      ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
      : {};
    const [rows, totalCount] = await Promise.all([
      this.db.scenario.findMany({
        where: { AND: [where, page] },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first + 1,
      }),
      this.db.scenario.count({ where }),
    ]);
    return { items: rows.slice(0, first).map(toScenario), hasNextPage: rows.length > first, totalCount };
  }
}

function toScenario(row: ScenarioRow): Scenario {
  return {
    id: row.id,
    teamId: row.teamId,
    name: row.name,
    description: row.description,
    tags: row.tags,
    latestVersion: row.latestVersion,
    archivedAt: row.archivedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toVersion(row: ScenarioVersionRow): ScenarioVersion {
  return {
    id: row.id,
    teamId: row.teamId,
    scenarioId: row.scenarioId,
    version: row.version,
    spec: row.spec as NormalizedSpec,
    specHash: row.specHash,
    diffSummary: row.diffSummary,
    createdAt: row.createdAt,
  };
}

interface VersionToRunRow {
  id: string;
  team_id: string;
  scenario_id: string;
  version: number;
  spec: unknown;
  spec_hash: string;
  diff_summary: string;
  created_at: Date;
  scenario_name: string;
  scenario_archived: boolean;
}

/** Every submit reads the version it runs: prepared statements (platform/db.ts `sql`). */
const versionToRunSelect = `SELECT v.id, v.team_id, v.scenario_id, v.version, v.spec, v.spec_hash, v.diff_summary, v.created_at,
    s.name AS scenario_name, s.archived_at IS NOT NULL AS scenario_archived
  FROM scenario_version v JOIN scenario s ON s.id = v.scenario_id AND s.team_id = v.team_id`;
const versionToRunStatements = {
  byVersion: {
    name: 'dmasim_scenario_version_to_run',
    text: `${versionToRunSelect} WHERE v.team_id = $1::uuid AND v.id = $2::uuid`,
  },
  latestOfScenario: {
    name: 'dmasim_scenario_latest_version_to_run',
    text: `${versionToRunSelect} WHERE v.team_id = $1::uuid AND v.scenario_id = $2::uuid ORDER BY v.version DESC LIMIT 1`,
  },
};
