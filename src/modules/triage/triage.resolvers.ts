import type { Resolvers } from '../../api/generated/resolvers-types';
import type { TriageResult } from './triage.service';

function toTriageResult(result: TriageResult) {
  if ('userErrors' in result)
    return {
      __typename: 'InputRejected' as const,
      userErrors: result.userErrors.map((e) => ({ ...e, path: [...e.path] })),
    };
  return { __typename: 'Triage' as const, ...result };
}

/** Triage mutations: parse, call the triage service, map. */
export const triageResolvers: Resolvers = {
  Mutation: {
    acknowledgeViolation: async (_parent, { fingerprint }, { viewer, services }) =>
      toTriageResult(await services.triage.acknowledge(viewer, fingerprint)),
    waiveViolation: async (_parent, { input }, { viewer, services }) =>
      toTriageResult(await services.triage.waive(viewer, input)),
    reopenViolation: async (_parent, { fingerprint }, { viewer, services }) =>
      toTriageResult(await services.triage.reopen(viewer, fingerprint)),
  },
};
