import { createHash } from 'node:crypto';
import { canonicalJson, legendEntries, type LegendEntry } from '../../engine/index';
import { AppError, notFound } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import { decodeCursor, type Page, pageSize } from '../common/cursor';
import { requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import type { ScenarioRepository } from './scenario.repository';
import { summarizeDiff } from './spec-diff';
import type {
  NormalizedSpec,
  Scenario,
  ScenarioFilter,
  ScenarioVersion,
  SpecCheck,
  SpecError,
  SpecValidator,
} from './scenario.types';

export type SaveScenarioResult =
  { scenario: Scenario; newVersion: ScenarioVersion | null } | { userErrors: UserInputError[] };

const maxTags = 20;

export function specHash(spec: NormalizedSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/** Scenarios and their immutable versions. */
export class ScenarioService {
  constructor(
    private readonly scenarios: ScenarioRepository,
    private readonly specs: SpecValidator,
    private readonly clock: Clock,
  ) {}

  validateSpec(text: string): SpecCheck {
    return this.specs.parseText(text);
  }

  /** What each rule id and class in a report means (the dashboard's legend; `dmasim explain` prints the same). */
  legend(): readonly LegendEntry[] {
    return legendEntries;
  }

  async create(
    viewer: Viewer,
    input: { name?: string | null; description?: string | null; tags?: readonly string[] | null; spec: string },
  ): Promise<SaveScenarioResult> {
    requireRole(viewer, 'member');
    return this.createChecked(viewer, input, this.specs.parseText(input.spec));
  }

  /**
   * Creates a scenario from a spec object built in memory (an imported trace): validated like
   * text, without rendering and re-parsing YAML.
   */
  async createFromSpec(
    viewer: Viewer,
    input: { name?: string | null; description?: string | null; tags?: readonly string[] | null },
    spec: unknown,
  ): Promise<SaveScenarioResult> {
    requireRole(viewer, 'member');
    return this.createChecked(viewer, input, this.specs.validate(spec));
  }

  private async createChecked(
    viewer: Viewer,
    input: { name?: string | null; description?: string | null; tags?: readonly string[] | null },
    checked: SpecCheck,
  ): Promise<SaveScenarioResult> {
    if (!checked.ok) return { userErrors: specUserErrors(checked.errors) };
    const name = (input.name ?? (typeof checked.spec.name === 'string' ? checked.spec.name : '')).trim();
    const description =
      input.description ?? (typeof checked.spec.description === 'string' ? checked.spec.description : '');
    const problems = [...nameProblems(name), ...tagProblems(input.tags)];
    if (problems.length > 0) return { userErrors: problems };
    try {
      const { scenario, version } = await this.scenarios.create({
        teamId: viewer.teamId,
        name,
        description,
        tags: [...(input.tags ?? [])],
        spec: checked.spec,
        specHash: specHash(checked.spec),
        tokenId: viewer.tokenId,
      });
      return { scenario, newVersion: version };
    } catch (error: unknown) {
      if (error instanceof AppError && error.code === 'CONFLICT')
        return { userErrors: [{ path: ['input', 'name'], message: error.message, code: 'NAME_TAKEN' }] };
      throw error;
    }
  }

  async update(
    viewer: Viewer,
    input: { id: string; description?: string | null; tags?: readonly string[] | null; spec?: string | null },
  ): Promise<SaveScenarioResult> {
    requireRole(viewer, 'member');
    const problems = tagProblems(input.tags);
    if (problems.length > 0) return { userErrors: problems };
    let newVersion: { spec: NormalizedSpec; specHash: string; diffSummary: string; tokenId: string } | undefined;
    if (input.spec !== undefined && input.spec !== null) {
      const checked = this.specs.parseText(input.spec);
      if (!checked.ok) return { userErrors: specUserErrors(checked.errors) };
      const latest = await this.scenarios.findLatestVersion(viewer.teamId, input.id);
      if (!latest) throw notFound('scenario', input.id);
      const hash = specHash(checked.spec);
      if (hash !== latest.specHash)
        newVersion = {
          spec: checked.spec,
          specHash: hash,
          diffSummary: summarizeDiff(latest.spec, checked.spec),
          tokenId: viewer.tokenId,
        };
    }
    const updated = await this.scenarios.update({
      teamId: viewer.teamId,
      id: input.id,
      ...(input.description === undefined || input.description === null ? {} : { description: input.description }),
      ...(input.tags === undefined || input.tags === null ? {} : { tags: [...input.tags] }),
      ...(newVersion ? { newVersion } : {}),
    });
    if (!updated) throw notFound('scenario', input.id);
    return { scenario: updated.scenario, newVersion: updated.version ?? null };
  }

  async archive(viewer: Viewer, id: string): Promise<Scenario> {
    requireRole(viewer, 'member');
    const scenario = await this.scenarios.archive(viewer.teamId, id, this.clock.now());
    if (!scenario) throw notFound('scenario', id);
    return scenario;
  }

  async get(viewer: Viewer, id: string): Promise<Scenario | undefined> {
    return this.scenarios.findById(viewer.teamId, id);
  }

  async getOrThrow(viewer: Viewer, id: string): Promise<Scenario> {
    const scenario = await this.scenarios.findById(viewer.teamId, id);
    if (!scenario) throw notFound('scenario', id);
    return scenario;
  }

  list(
    viewer: Viewer,
    filter: ScenarioFilter,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Page<Scenario>> {
    return this.scenarios.list(viewer.teamId, filter, pageSize(first, 20), after ? decodeCursor(after) : undefined);
  }

  versions(viewer: Viewer, scenarioId: string): Promise<ScenarioVersion[]> {
    return this.scenarios.listVersions(viewer.teamId, scenarioId);
  }

  async latestVersion(viewer: Viewer, scenarioId: string): Promise<ScenarioVersion> {
    const version = await this.scenarios.findLatestVersion(viewer.teamId, scenarioId);
    if (!version) throw notFound('scenario', scenarioId);
    return version;
  }

  /**
   * The version a run of `ref` uses (the given version, or the scenario's latest) with its scenario's
   * name and archive state; NOT_FOUND for another team's or a missing id.
   */
  async versionToRun(
    viewer: Viewer,
    ref: { readonly versionId: string } | { readonly scenarioId: string },
  ): Promise<{ version: ScenarioVersion; scenarioName: string; scenarioArchived: boolean }> {
    const found = await this.scenarios.findVersionToRun(viewer.teamId, ref);
    if (!found)
      throw 'versionId' in ref ? notFound('scenario version', ref.versionId) : notFound('scenario', ref.scenarioId);
    return found;
  }

  async version(viewer: Viewer, versionId: string): Promise<ScenarioVersion> {
    const version = await this.scenarios.findVersion(viewer.teamId, versionId);
    if (!version) throw notFound('scenario version', versionId);
    return version;
  }
}

/** Spec errors as GraphQL user errors: path `["spec", ...segments]`, code INVALID_SPEC. */
export function specUserErrors(errors: readonly SpecError[]): UserInputError[] {
  return errors.map((error) => ({
    path: ['spec', ...splitSpecPath(error.path)],
    message: error.message,
    code: 'INVALID_SPEC',
  }));
}

/** `devices[1].minAlignMask` → ["devices", "1", "minAlignMask"]. */
export function splitSpecPath(path: string): string[] {
  return path.split(/\.|\[(\d+)\]/).filter((segment): segment is string => segment !== undefined && segment !== '');
}

function nameProblems(name: string): UserInputError[] {
  if (name.length < 1 || name.length > 200)
    return [
      {
        path: ['input', 'name'],
        message: 'name must be 1-200 characters (give one, or set name in the spec)',
        code: 'INVALID_NAME',
      },
    ];
  return [];
}

function tagProblems(tags: readonly string[] | null | undefined): UserInputError[] {
  if (!tags) return [];
  if (tags.length > maxTags)
    return [{ path: ['input', 'tags'], message: `at most ${maxTags} tags`, code: 'TOO_MANY_TAGS' }];
  return tags.flatMap((tag, index) =>
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,49}$/.test(tag)
      ? []
      : [
          {
            path: ['input', 'tags', String(index)],
            message: 'tags are 1-50 characters: letters, digits, . _ : / -',
            code: 'INVALID_TAG',
          },
        ],
  );
}
