import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { minimalSpecYaml } from '../../support/spec-fixtures';

const createScenario = `mutation($input: CreateScenarioInput!) {
  createScenario(input: $input) {
    __typename
    ... on ScenarioSaved { scenario { id name description tags archived latestVersion { id version specHash spec } } newVersion { version diffSummary } }
    ... on InputRejected { userErrors { path message code } }
  }
}`;
const updateScenario = `mutation($input: UpdateScenarioInput!) {
  updateScenario(input: $input) {
    __typename
    ... on ScenarioSaved { scenario { id tags latestVersion { version } versions { version diffSummary } } newVersion { version diffSummary } }
    ... on InputRejected { userErrors { path message code } }
  }
}`;

interface Saved {
  createScenario: {
    __typename: string;
    scenario: {
      id: string;
      name: string;
      description: string;
      tags: string[];
      archived: boolean;
      latestVersion: { id: string; version: number; specHash: string; spec: Record<string, unknown> };
    };
    newVersion: { version: number; diffSummary: string };
    userErrors: Array<{ path: string[]; message: string; code: string }>;
  };
}

describe('scenarios', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApiHarness();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('creates a scenario from YAML, named after the spec, with a normalised version 1', async () => {
    const { token } = await harness.newTeam();

    const response = await harness.gql<Saved>(token, createScenario, {
      input: { spec: minimalSpecYaml({ name: 'snp-nvme' }), tags: ['nvme', 'snp'] },
    });

    expect(response.errors).toBeUndefined();
    const { scenario, newVersion } = response.data.createScenario;
    expect(scenario).toMatchObject({
      name: 'snp-nvme',
      description: 'NVMe on an SNP guest',
      tags: ['nvme', 'snp'],
      archived: false,
    });
    expect(scenario.latestVersion.version).toBe(1);
    expect(scenario.latestVersion.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(scenario.latestVersion.spec).toMatchObject({ apiVersion: 'dmasim/v1', name: 'snp-nvme' });
    expect(newVersion.version).toBe(1);
  });

  it('returns field-level errors with paths for an invalid spec and stores nothing', async () => {
    const { token } = await harness.newTeam();
    const invalid = minimalSpecYaml({ name: 'broken' }).replace('platform: sev-snp', 'platform: sev-snq');

    const response = await harness.gql<Saved>(token, createScenario, { input: { spec: invalid } });
    const list = await harness.gql<{ scenarios: { totalCount: number } }>(token, '{ scenarios { totalCount } }');

    expect(response.data.createScenario.__typename).toBe('InputRejected');
    expect(response.data.createScenario.userErrors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: ['spec', 'vm', 'platform'], code: 'INVALID_SPEC' })]),
    );
    expect(list.data.scenarios.totalCount).toBe(0);
  });

  it('rejects a second scenario with the same name in the team, but allows it in another team', async () => {
    const a = await harness.newTeam();
    const b = await harness.newTeam();
    await harness.gql(a.token, createScenario, { input: { spec: minimalSpecYaml({ name: 'dup' }) } });

    const again = await harness.gql<Saved>(a.token, createScenario, {
      input: { spec: minimalSpecYaml({ name: 'dup' }) },
    });
    const otherTeam = await harness.gql<Saved>(b.token, createScenario, {
      input: { spec: minimalSpecYaml({ name: 'dup' }) },
    });

    expect(again.data.createScenario.userErrors).toEqual([
      expect.objectContaining({ path: ['input', 'name'], code: 'NAME_TAKEN' }),
    ]);
    expect(otherTeam.data.createScenario.__typename).toBe('ScenarioSaved');
  });

  it('creates a new immutable version with a diff summary only when the spec changes', async () => {
    const { token } = await harness.newTeam();
    const created = await harness.gql<Saved>(token, createScenario, {
      input: { spec: minimalSpecYaml({ name: 'evolving' }) },
    });
    const id = created.data.createScenario.scenario.id;

    const sameSpec = await harness.gql<{ updateScenario: { newVersion: unknown; scenario: { tags: string[] } } }>(
      token,
      updateScenario,
      {
        input: { id, spec: minimalSpecYaml({ name: 'evolving' }), tags: ['x'] },
      },
    );
    const changed = await harness.gql<{
      updateScenario: {
        newVersion: { version: number; diffSummary: string };
        scenario: { latestVersion: { version: number }; versions: Array<{ version: number }> };
      };
    }>(token, updateScenario, { input: { id, spec: minimalSpecYaml({ name: 'evolving', seed: 8 }) } });

    expect(sameSpec.data.updateScenario.newVersion).toBeNull();
    expect(sameSpec.data.updateScenario.scenario.tags).toEqual(['x']);
    expect(changed.data.updateScenario.newVersion.version).toBe(2);
    expect(changed.data.updateScenario.newVersion.diffSummary).toContain('workload.seed: 7 → 8');
    expect(changed.data.updateScenario.scenario.latestVersion.version).toBe(2);
    expect(changed.data.updateScenario.scenario.versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it('validates a spec without storing it', async () => {
    const { token } = await harness.newTeam();

    const valid = await harness.gql<{
      validateSpec: { valid: boolean; normalizedSpec: Record<string, unknown>; errors: unknown[] };
    }>(token, 'query($s: String!) { validateSpec(spec: $s) { valid normalizedSpec errors { path code } } }', {
      s: minimalSpecYaml(),
    });
    const invalid = await harness.gql<{ validateSpec: { valid: boolean; errors: Array<{ path: string[] }> } }>(
      token,
      'query($s: String!) { validateSpec(spec: $s) { valid errors { path message code } } }',
      {
        s: 'apiVersion: dmasim/v1\nname: x\n',
      },
    );

    expect(valid.data.validateSpec).toMatchObject({ valid: true, errors: [] });
    expect(valid.data.validateSpec.normalizedSpec).toMatchObject({ name: 'nvme-on-snp' });
    expect(invalid.data.validateSpec.valid).toBe(false);
    expect(invalid.data.validateSpec.errors.length).toBeGreaterThan(0);
  });

  it('filters by name and tag, hides archived scenarios unless asked, and paginates without gaps', async () => {
    const { token } = await harness.newTeam();
    for (const [name, tags] of [
      ['alpha-nvme', ['nvme']],
      ['beta-nvme', ['nvme', 'tdx']],
      ['gamma-net', ['net']],
    ] as const) {
      await harness.gql(token, createScenario, { input: { spec: minimalSpecYaml({ name }), tags } });
    }
    const all = await harness.gql<{ scenarios: { edges: Array<{ node: { id: string; name: string } }> } }>(
      token,
      '{ scenarios { edges { node { id name } } } }',
    );
    const gamma = all.data.scenarios.edges.find((e) => e.node.name === 'gamma-net')!.node.id;
    await harness.gql(token, 'mutation($id: UUID!) { archiveScenario(id: $id) { archived } }', { id: gamma });

    const byName = await harness.gql<{ scenarios: { totalCount: number } }>(
      token,
      '{ scenarios(filter: { nameContains: "NVME" }) { totalCount } }',
    );
    const byTags = await harness.gql<{ scenarios: { edges: Array<{ node: { name: string } }> } }>(
      token,
      '{ scenarios(filter: { tags: ["nvme", "tdx"] }) { edges { node { name } } } }',
    );
    const visible = await harness.gql<{ scenarios: { totalCount: number } }>(token, '{ scenarios { totalCount } }');
    const withArchived = await harness.gql<{ scenarios: { totalCount: number } }>(
      token,
      '{ scenarios(filter: { includeArchived: true }) { totalCount } }',
    );
    const page1 = await harness.gql<{
      scenarios: { edges: Array<{ node: { name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(
      token,
      '{ scenarios(first: 1, filter: { includeArchived: true }) { edges { node { name } } pageInfo { hasNextPage endCursor } } }',
    );
    const rest = await harness.gql<{
      scenarios: { edges: Array<{ node: { name: string } }>; pageInfo: { hasNextPage: boolean } };
    }>(
      token,
      'query($after: String) { scenarios(first: 5, after: $after, filter: { includeArchived: true }) { edges { node { name } } pageInfo { hasNextPage } } }',
      { after: page1.data.scenarios.pageInfo.endCursor },
    );

    expect(byName.data.scenarios.totalCount).toBe(2);
    expect(byTags.data.scenarios.edges.map((e) => e.node.name)).toEqual(['beta-nvme']);
    expect(visible.data.scenarios.totalCount).toBe(2);
    expect(withArchived.data.scenarios.totalCount).toBe(3);
    expect(page1.data.scenarios.pageInfo.hasNextPage).toBe(true);
    expect([...page1.data.scenarios.edges, ...rest.data.scenarios.edges].map((e) => e.node.name).sort()).toEqual([
      'alpha-nvme',
      'beta-nvme',
      'gamma-net',
    ]);
    expect(rest.data.scenarios.pageInfo.hasNextPage).toBe(false);
  });

  it("answers another team's scenario id exactly like a missing one", async () => {
    const a = await harness.newTeam();
    const b = await harness.newTeam();
    const created = await harness.gql<Saved>(b.token, createScenario, {
      input: { spec: minimalSpecYaml({ name: 'private-to-b' }) },
    });
    const id = created.data.createScenario.scenario.id;

    const read = await harness.gql<{ scenario: unknown }>(a.token, 'query($id: UUID!) { scenario(id: $id) { name } }', {
      id,
    });
    const update = await harness.gql(a.token, updateScenario, { input: { id, tags: ['stolen'] } });
    const archive = await harness.gql(a.token, 'mutation($id: UUID!) { archiveScenario(id: $id) { id } }', { id });
    const list = await harness.gql<{ scenarios: { totalCount: number } }>(
      a.token,
      '{ scenarios(filter: { includeArchived: true }) { totalCount } }',
    );
    const stillIntact = await harness.gql<{ scenario: { tags: string[]; archived: boolean } }>(
      b.token,
      'query($id: UUID!) { scenario(id: $id) { tags archived } }',
      { id },
    );

    expect(read.data.scenario).toBeNull();
    expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(archive.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(list.data.scenarios.totalCount).toBe(0);
    expect(stillIntact.data.scenario).toEqual({ tags: [], archived: false });
  });

  it('lets a viewer read but not create', async () => {
    const { token: admin } = await harness.newTeam();
    const viewer = await harness.gql<{ createApiToken: { secret: string } }>(
      admin,
      'mutation { createApiToken(input: { name: "v", role: VIEWER }) { ... on ApiTokenCreated { secret } } }',
    );

    const response = await harness.gql(viewer.data.createApiToken.secret, createScenario, {
      input: { spec: minimalSpecYaml() },
    });

    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
