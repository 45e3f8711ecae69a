import type { Resolvers } from '../../api/generated/resolvers-types';
import { toConnection } from '../common/cursor';
import { orNotFound } from '../common/user-errors';
import type { SaveScenarioResult } from './scenario.service';
import { specUserErrors } from './scenario.service';

function toSaveResult(result: SaveScenarioResult) {
  if ('userErrors' in result)
    return {
      __typename: 'InputRejected' as const,
      userErrors: result.userErrors.map((e) => ({ ...e, path: [...e.path] })),
    };
  return { __typename: 'ScenarioSaved' as const, scenario: result.scenario, newVersion: result.newVersion };
}

/** Scenario operations: parse, call the scenario service, map. */
export const scenarioResolvers: Resolvers = {
  Query: {
    scenario: async (_parent, { id }, { viewer, services }) =>
      orNotFound(await services.scenarios.get(viewer, id), 'scenario', id),
    scenarios: async (_parent, { filter, first, after }, { viewer, services }) =>
      toConnection(await services.scenarios.list(viewer, filter ?? {}, first, after), Boolean(after)),
    legend: (_parent, _args, { services }) =>
      services.scenarios
        .legend()
        .map((entry) => ({ ...entry, kind: entry.kind.toUpperCase() as 'RULE' | 'VIOLATION' | 'FAILURE' })),
    validateSpec: (_parent, { spec }, { services }) => {
      const checked = services.scenarios.validateSpec(spec);
      return checked.ok
        ? { valid: true, normalizedSpec: checked.spec, errors: [] }
        : {
            valid: false,
            normalizedSpec: null,
            errors: specUserErrors(checked.errors).map((e) => ({ ...e, path: [...e.path] })),
          };
    },
  },
  Mutation: {
    createScenario: async (_parent, { input }, { viewer, services }) =>
      toSaveResult(await services.scenarios.create(viewer, input)),
    updateScenario: async (_parent, { input }, { viewer, services }) =>
      toSaveResult(await services.scenarios.update(viewer, input)),
    archiveScenario: (_parent, { id }, { viewer, services }) => services.scenarios.archive(viewer, id),
  },
  Scenario: {
    tags: (scenario) => [...scenario.tags],
    archived: (scenario) => scenario.archivedAt !== null,
    latestVersion: (scenario, _args, { viewer, services }) => services.scenarios.latestVersion(viewer, scenario.id),
    versions: (scenario, _args, { viewer, services }) => services.scenarios.versions(viewer, scenario.id),
  },
  ScenarioVersion: {
    spec: (version) => version.spec,
  },
};
